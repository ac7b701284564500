// FTT weight bit-flip training (FTT-NAS, paper 004: training under the weight fault model). The
// loss of a step is
//
//     L = (1 - a) * L_clean + a * L_faulty,        a = faulty_weight (default 0.5)
//
// on the same batch, as FTT-NAS's fault-tolerant training mixes the clean and the faulty loss.
// Every training step:
//   1. the trainer's forward and backward on the clean weights give grad L_clean, scaled by 1 - a;
//   2. a fault set for the stored weights is sampled at `ber` (the campaign's own sampler: binomial
//      count, then positions) and flipped in place (WeightUndoLog, no copy); forward and backward
//      of a * L_faulty add its gradient;
//   3. the clean weights come back bit for bit from the undo log before the optimizer step, which
//      therefore updates the clean weights with the gradient of L.
// With a = 1 the step is one pass on the faulty weights (the faulty loss alone).
// A faulty pass whose loss is not finite or exceeds max_loss (an exponent flip of an fp32 weight
// turns the logits into ~1e38) contributes nothing and is counted as skipped: with a < 1 the step
// keeps the clean part (1 - a) grad L_clean, with a = 1 it updates nothing. Such gradients are
// ~1e35 times the clean ones and would swamp Adam's moment estimates for thousands of steps
// (measured: 68 % instead of 88 % on LeNet-5 without this rule).
#pragma once
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "faults/fault_model.h"
#include "faults/sites.h"
#include "faults/weight_faults.h"
#include "models/network.h"
#include "train/robust_config.h"

namespace faultscape {

class BitflipTraining {
 public:
  // ConfigError naming training.bitflip_training.* for unknown layers or no weights selected.
  BitflipTraining(Network& net, const BitflipTrainingConfig& config, uint64_t seed);
  void inject();                            // before the forward pass
  bool restore(const torch::Tensor& loss);  // after backward: clean weights back; false = skip the step
  // Steps 1-3 above for a < 1, after the trainer's clean backward: returns the step's mixed loss
  // (the clean loss when the faulty pass was skipped).
  torch::Tensor faulty_pass(const torch::Tensor& x, const torch::Tensor& clean_loss,
                            const std::function<torch::Tensor(const torch::Tensor&)>& loss_of);
  // a = 1: inject() before the trainer's forward and restore() after its backward instead.
  bool single_pass() const { return config_.faulty_weight >= 1; }
  int64_t steps() const { return steps_; }
  int64_t flips() const { return flips_; }
  int64_t skipped() const { return skipped_; }
  nlohmann::json describe() const;

 private:
  Network net_;
  BitflipTrainingConfig config_;
  FaultModel fault_;
  std::vector<WeightSite> sites_;
  WeightUndoLog log_;
  std::mt19937_64 rng_;
  int64_t steps_ = 0, flips_ = 0, skipped_ = 0;
};

}  // namespace faultscape
