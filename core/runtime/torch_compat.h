// What differs between the LibTorch versions Faultscape builds against: Debian's 1.13 (CPU) and the
// 2.x of a CUDA PyTorch installation. Code that touches such an API goes through here.
#pragma once
#include <torch/nn/options/conv.h>
#include <torch/version.h>

#include <variant>

namespace faultscape {

// A 2-d convolution's explicit padding (Conv2dOptions, or the ConvNdOptions<2> a module keeps).
// LibTorch keeps it in a variant with the "same" / "valid" modes: c10::variant in 1.x, std::variant
// in 2.x (where c10::get is gone).
template <typename ConvOptions>
const torch::ExpandingArray<2>& conv_padding(const ConvOptions& o) {
#if TORCH_VERSION_MAJOR >= 2
  return std::get<torch::ExpandingArray<2>>(o.padding());
#else
  return c10::get<torch::ExpandingArray<2>>(o.padding());
#endif
}

}  // namespace faultscape
