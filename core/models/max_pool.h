// 2-D max pooling. A window equal to its stride without padding or dilation (the usual 2x2 / 2)
// is computed as element-wise maxima of strided views: the same values as torch::max_pool2d (NaN
// propagates alike) at a fraction of the time of LibTorch 1.13's CPU kernel, which dominates the
// campaigns' faulty inferences after a delta-evaluated convolution.
#pragma once
#include <torch/nn/cloneable.h>
#include <torch/nn/options/pooling.h>
#include <torch/nn/pimpl.h>

namespace faultscape {

class MaxPoolImpl : public torch::nn::Cloneable<MaxPoolImpl> {
 public:
  explicit MaxPoolImpl(const torch::nn::MaxPool2dOptions& options) : options(options) {}
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::MaxPool2dOptions options;
};
TORCH_MODULE(MaxPool);

}  // namespace faultscape
