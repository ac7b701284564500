// Evaluates a network under faults, reusing the fault-free computation: the golden output of
// every stage is cached (within a memory budget) so a trial whose first fault sits at stage f runs
// only stages f.. on the cached golden input of f. Also scores predictions against the golden run.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <functional>
#include <vector>

#include "models/network.h"

namespace faultscape {

struct TrialMetrics {
  double accuracy = 0;           // percent
  double sdc_rate = 0;           // percent of images whose top-1 class changed against golden
  double critical_sdc_rate = 0;  // percent of images golden got right and the faulty run got wrong
  int64_t nonfinite = 0;         // images whose logits hold NaN or Inf
  nlohmann::json to_json() const;
};

class FaultyEvaluator {
 public:
  // Stage outputs hook: called on every stage output (a fresh tensor, safe to modify in place).
  using Hook = std::function<void(int stage, torch::Tensor& out, int64_t offset)>;

  FaultyEvaluator(Network net, torch::Tensor images, torch::Tensor labels, int64_t batch_size, int64_t cache_bytes);

  Network& net() { return net_; }
  int64_t images() const { return images_.size(0); }
  int64_t batch_size() const { return batch_size_; }
  const torch::Tensor& labels() const { return labels_; }
  const torch::Tensor& golden_predictions() const { return golden_; }
  double golden_accuracy() const { return golden_accuracy_; }
  // Elements of one image's output at every stage.
  const std::vector<int64_t>& output_numel() const { return output_numel_; }
  // MACs per image of every stage (for GFLOP/s of useful work).
  const std::vector<int64_t>& stage_macs() const { return stage_macs_; }

  // Golden input of stage s for all images; cached when it fits the budget, computed otherwise.
  torch::Tensor stage_input(int s);
  // Runs stages [first, end) from the golden input of `first` (uses the nearest cached stage
  // at or before it) with the network's current weights; the hook sees every stage output.
  TrialMetrics run_from(int first, const Hook& hook = nullptr);
  // Like run_from(stage + 1), but the output of stage `stage`'s first module (its linear layer) comes
  // from `output(offset, len)`, batch by batch; the rest of that stage runs on it.
  TrialMetrics run_after_first_module(int stage,
                                      const std::function<torch::Tensor(int64_t offset, int64_t len)>& output);
  // Runs stages [first, end) on a given input of stage `first` (batch of images [offset, offset+B)).
  torch::Tensor forward_from(int first, torch::Tensor x, int64_t offset, const Hook& hook = nullptr);
  // Whether forward_from runs stage s + 1's max pooling before stage s's final ReLU.
  bool pools_before_relu(int s) const { return pool_first_.at(s); }
  // Like forward_from(s), but z is already the output of stage s's first module (its linear layer).
  torch::Tensor forward_after_first_module(int s, torch::Tensor z, int64_t offset);
  TrialMetrics score(const torch::Tensor& predictions, int64_t nonfinite) const;
  // Accuracy-only scoring of a prediction slice, for batched fault instances.
  TrialMetrics score_slice(const torch::Tensor& predictions, int64_t offset, int64_t nonfinite) const;
  // The same with the non-finite count still a (0-dim) tensor on the predictions' device.
  TrialMetrics score_counts(const torch::Tensor& predictions, int64_t offset, const torch::Tensor& nonfinite) const;

 private:
  int cached_at_or_before(int s) const;
  // Scores the logits that `logits_of(offset, len)` gives for every batch of images.
  TrialMetrics run_batches(const std::function<torch::Tensor(int64_t offset, int64_t len)>& logits_of);

  Network net_;
  torch::Tensor images_, labels_, golden_;
  int64_t batch_size_;
  double golden_accuracy_ = 0;
  std::vector<torch::Tensor> cache_;  // cache_[s] = golden input of stage s (undefined if not cached)
  std::vector<int64_t> output_numel_, stage_macs_;
  std::vector<bool> pool_first_;  // stage s ends in a ReLU that stage s + 1's max pool may precede
};

}  // namespace faultscape
