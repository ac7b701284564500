// Evaluation of a network on a dataset: accuracy, per-class accuracy, confusion matrix,
// per-image predictions (the golden reference for counting silent data corruptions), latency.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <vector>

#include "data/dataset.h"
#include "models/network.h"

namespace faultscape {

struct EvalResult {
  double accuracy = 0;                     // percent
  std::vector<double> per_class_accuracy;  // percent, one per class
  torch::Tensor confusion;                 // [classes, classes] int64, row = true label
  torch::Tensor predictions;               // [N] int64 top-1 class per image
  int64_t images = 0;
  int64_t nonfinite_outputs = 0;  // images whose logits hold NaN or Inf
  double seconds = 0;
  double latency_ms_per_image = 0;
  nlohmann::json to_json() const;  // without predictions
};

// Runs the whole dataset in eval mode under InferenceMode; restores the training flag.
EvalResult evaluate(Network& net, const Dataset& data, int64_t batch_size = 1000);

// Top-1 predictions only (the inner loop of evaluate).
torch::Tensor predict(Network& net, const torch::Tensor& images, int64_t batch_size = 1000);

}  // namespace faultscape
