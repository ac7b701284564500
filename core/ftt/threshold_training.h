// Learned-threshold ReLU training (seed note 000, second approach; FitAct-like): a ThresholdReLU
// gate (models/threshold_relu.h) after the ReLU of each selected stage, its thresholds
// initialised from profiling (init_percentile of the gate's input on training images) and trained
// with the weights under the regulariser
//
//     R = lambda * sum_gates sum_c T_c        (penalty "l1")   or   lambda * sum T_c^2   ("l2")
//
// which pulls the thresholds down while the task loss keeps the values the accuracy needs.
// The gates stay in the network after training: they are the protection.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <vector>

#include "models/network.h"
#include "models/threshold_relu.h"
#include "train/robust_config.h"

namespace faultscape {

// Stages ending in a ReLU (the logits stage excluded), or the named ones, validated; `field` names
// the JSON field in errors.
std::vector<int> relu_stages(const Network& net, const std::vector<std::string>& names, const std::string& field);

// Sets every gate's thresholds to the `percentile` of its input over `images` (inference mode,
// batches of 256), per stage or per channel as the gate holds them. Gates pass everything while
// profiling.
void profile_thresholds(Network& net, const std::vector<ThresholdReLU>& gates, const torch::Tensor& images,
                        double percentile);

class LearnedThresholdTraining {
 public:
  // Appends the gates (thresholds +inf = pass-through until profiled). ConfigError naming
  // training.learned_threshold.* for a stage without a ReLU.
  LearnedThresholdTraining(Network& net, const LearnedThresholdConfig& config, int total_epochs);

  int start_epoch() const { return start_epoch_; }  // profiled at the beginning of this epoch
  void profile(const torch::Tensor& train_images);
  bool active() const { return active_; }
  torch::Tensor regulariser() const;  // 0 until profiled
  void clamp();                       // thresholds stay >= 0 after each step
  const std::vector<ThresholdReLU>& gates() const { return gates_; }
  nlohmann::json describe() const;  // stages, profiled and final thresholds

 private:
  Network net_;
  LearnedThresholdConfig config_;
  int start_epoch_ = 1;
  bool active_ = false;
  std::vector<ThresholdReLU> gates_;
  std::vector<std::string> stages_;
  std::vector<torch::Tensor> profiled_;
};

}  // namespace faultscape
