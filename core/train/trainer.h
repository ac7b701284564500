// Supervised training with per-epoch metrics through the observer and cancellation between
// batches. Deterministic for a given seed and thread count: the seed drives the initial weights
// (when the caller built the network after seed_everything) and the shuffling.
#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <vector>

#include "common/observer.h"
#include "data/dataset.h"
#include "models/network.h"
#include "train/train_config.h"

namespace faultscape {

struct EpochMetrics {
  int epoch = 0;  // 1-based
  double loss = 0;
  double train_accuracy = 0;  // percent, on the training batches as seen (augmented, in train mode)
  double test_accuracy = 0;   // percent
  double lr = 0;
  double seconds = 0;  // training time of the epoch, evaluation excluded
  double images_per_second = 0;
  nlohmann::json to_json() const;
};

struct TrainResult {
  std::vector<EpochMetrics> epochs;
  double test_accuracy = 0;
  double seconds = 0;
  double images_per_second = 0;
  nlohmann::json to_json() const;
};

// Extension points for training variants (fault-aware training, dropout, learned thresholds).
struct TrainHooks {
  std::function<void(Network&, const DatasetSplit&)> on_train_begin;  // e.g. profile thresholds on training images
  std::function<void(int epoch)> on_epoch_begin;                      // e.g. enable one injection layer (FAT method 2)
  std::function<void(Network&)> before_forward;                       // e.g. flip weight bits for this step (FTT)
  std::function<torch::Tensor(Network&)> extra_loss;                  // e.g. a threshold regulariser
  // After backward, before the optimizer step (e.g. restore the clean weights); false skips the step.
  std::function<bool(Network&, const torch::Tensor& loss)> before_step;
  std::function<void(Network&)> after_step;  // e.g. clamp learned bounds
  // After the step's backward, before before_step: a further pass over the same batch whose
  // gradients join the step's (e.g. FTT's faulty pass mixed with the clean one). Gets the batch, the
  // step's loss and the loss function (training loss plus extra_loss) and returns the loss the
  // step reports.
  using LossOf = std::function<torch::Tensor(const torch::Tensor& logits)>;
  std::function<torch::Tensor(Network&, const torch::Tensor& x, const torch::Tensor& loss, const LossOf& loss_of)>
      extra_pass;
};

struct TrainContext {
  Observer* observer = nullptr;
  const StopToken* stop = nullptr;
  bool augment = false;  // random crop + flip of training batches (CIFAR)
  TrainHooks hooks;
};

// Seeds torch's global generator (initial weights, dropout) from the experiment seed.
void seed_everything(uint64_t seed);

torch::Tensor compute_loss(const std::string& loss, const torch::Tensor& logits, const torch::Tensor& labels);

// Trains in place; throws Cancelled if the stop token is raised between batches.
TrainResult train_network(Network& net, const DatasetSplit& data, const TrainConfig& config,
                          const TrainContext& context = {});

}  // namespace faultscape
