// Training with saturating weights (paper 003, first abstract): during training each selected
// float conv / linear layer computes with
//
//     w = s * tanh(v)            ("tanh")      or      w = s * 2/pi * atan(v)      ("atan")
//
// where v is the trained (stored) parameter and s = factor * max|w| of the layer when training
// starts — the inference-time decode of models/stored_weight.h, reused as is (StoredWeight wraps
// the layer and encodes v = atanh(w / s) or tan(w / s * pi/2)). The gradient reaches v through the
// saturating function, so the network learns weights that live inside (-s, s). After training the
// layers are decoded back to plain weights w = s tanh(v) (the model file keeps the plain
// architecture); a campaign stores them saturated again with the `saturate` protection scheme.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "models/network.h"
#include "models/stored_weight.h"
#include "train/robust_config.h"

namespace faultscape {

class SaturatingTraining {
 public:
  // Wraps the layers; ConfigError naming training.saturating_weights.* for a quantized or unknown layer.
  SaturatingTraining(Network& net, const SaturatingTrainingConfig& config);
  // Decodes every wrapped layer into its plain weight and puts the plain layer back.
  void finish();
  nlohmann::json describe() const;

 private:
  struct Wrapped {
    int stage;
    torch::nn::AnyModule plain;  // the original QuantConv2d / QuantLinear (shares its tensors)
    StoredWeight stored{nullptr};
    double scale = 0;
  };
  Network net_;
  SaturatingTrainingConfig config_;
  std::vector<Wrapped> wrapped_;
  std::vector<std::string> stages_;
  bool finished_ = false;
};

}  // namespace faultscape
