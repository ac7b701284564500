// Convolution and linear layers whose weights are fake-quantized when read (float when bits == 0).
// The stored (latent) float weight is what training updates and what weight faults hit.
// Each layer records the MACs of its last forward pass for the model summary.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace faultscape {

struct WeightQuant {
  int bits = 0;        // 0 = float
  double bound = 0.0;  // clipping bound of the weights; <= 0: max |w| of the initial weights
  bool learnable = false;
};

class QuantConv2dImpl : public torch::nn::Module {
 public:
  QuantConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool bias,
                  WeightQuant quant);
  // Any 2-D convolution (rectangular kernels, dilation, groups), e.g. one adopted from TorchScript.
  QuantConv2dImpl(const torch::nn::Conv2dOptions& options, WeightQuant quant);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor effective_weight() const;  // the weight the hardware computes with
  double weight_bound() const;             // current clipping bound (0 when float)
  void clip_latent_weight();               // keeps the latent weight within the bound (FINN)

  torch::nn::Conv2d conv{nullptr};
  WeightQuant quant;
  int64_t last_macs = 0;

 private:
  torch::Tensor bound_;
};
TORCH_MODULE(QuantConv2d);

// The options a Conv2d was built with, to build another like it (e.g. with more output channels).
torch::nn::Conv2dOptions conv2d_options(const torch::nn::detail::ConvNdOptions<2>& built);

class QuantLinearImpl : public torch::nn::Module {
 public:
  QuantLinearImpl(int64_t in, int64_t out, bool bias, WeightQuant quant);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor effective_weight() const;
  double weight_bound() const;
  void clip_latent_weight();

  torch::nn::Linear linear{nullptr};
  WeightQuant quant;
  int64_t last_macs = 0;

 private:
  torch::Tensor bound_;
};
TORCH_MODULE(QuantLinear);

// Clips the latent weights of every quantized layer in `module` to their bounds; called after each
// optimizer step so that weights beyond the clamp (which has zero gradient there) can come back.
void clip_quantized_weights(torch::nn::Module& module);

}  // namespace faultscape
