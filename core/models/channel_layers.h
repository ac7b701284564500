// The prunable layers of a Network: stages whose first module is a QuantConv2d / QuantLinear
// (the layer computing the stage's output channels), the logits stage excluded.
#pragma once
#include <torch/types.h>

#include <vector>

#include "models/network.h"
#include "quant/quant_layers.h"

namespace faultscape {

struct ChannelLayer {
  int stage = 0;
  QuantConv2dImpl* conv = nullptr;  // exactly one of conv / linear is set
  QuantLinearImpl* linear = nullptr;
  int64_t channels() const;
  torch::Tensor weight() const;  // the stored (latent) weight, output channels first
  torch::Tensor bias() const;    // undefined when the layer has none
};

// The layer whose first module computes stage `stage`, if any.
bool channel_layer(const Network& net, int stage, ChannelLayer& out);

// Every prunable layer in stage order; `names` restricts it (validated, ConfigError).
std::vector<ChannelLayer> channel_layers(const Network& net, const std::vector<std::string>& names = {});

}  // namespace faultscape
