// Range restriction of activations with profiled bounds: Ranger (Chen et al., DSN 2021) clamps a
// value to [lo, hi]; FT-ClipAct (Hoang et al., DATE 2020) sets a value outside [lo, hi] to 0.
// Bounds are per layer (one pair) or per channel. NaN becomes 0 in both modes (a clamp would
// propagate it).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "models/module_copy.h"

namespace faultscape {

class RangeRestrictImpl : public torch::nn::Module, public CopyableModule, public CheckerOps {
 public:
  // lo, hi: shape [1] (per layer) or [C] (per channel); mode "clamp" | "zero".
  RangeRestrictImpl(torch::Tensor lo, torch::Tensor hi, std::string mode);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::AnyModule copy_structure() const override;
  const torch::Tensor& lower() const { return lo_; }
  const torch::Tensor& upper() const { return hi_; }

 private:
  torch::Tensor lo_, hi_;
  std::string mode_;
};
TORCH_MODULE(RangeRestrict);

}  // namespace faultscape
