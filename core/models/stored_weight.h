// Weights stored in a transformed form and decoded when read; faults hit the stored form.
//  - "tanh":  w = s * tanh(v)            (saturating storage: any corrupted v decodes into [-s, s])
//  - "atan":  w = s * (2/pi) * atan(v)
//  - "scale": w = v / k                   (weight scaling: v = k * w is stored)
// s = factor * max|w| of the layer (factor > 1 so every weight is representable), or the s the
// layer was trained under (saturating-weight training); k = factor.
// Only float (unquantized) layers: an intN code has no meaningful saturating decode.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "models/module_copy.h"
#include "quant/quant_layers.h"

namespace faultscape {

class StoredWeightImpl : public torch::nn::Module, public CopyableModule, public CheckerOps {
 public:
  // Encodes the layer's weights into its stored tensor. function: tanh | atan | scale. For tanh /
  // atan, `scale` > 0 gives s itself (the scale the weights were trained under) instead of
  // factor * max|w|; ConfigError when a weight lies beyond it.
  StoredWeightImpl(QuantConv2d conv, std::string function, double factor, double scale = 0);
  StoredWeightImpl(QuantLinear linear, std::string function, double factor, double scale = 0);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor decoded_weight() const;
  torch::nn::AnyModule copy_structure() const override;

  QuantConv2d conv{nullptr};  // holds the stored (encoded) weight; one of the two is set
  QuantLinear linear{nullptr};

 private:
  void encode(double factor, double scale);
  StoredWeightImpl(std::string function);

  std::string function_;
  torch::Tensor scale_;  // s, or k for "scale"
};
TORCH_MODULE(StoredWeight);

}  // namespace faultscape
