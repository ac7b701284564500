#include "quant/quant_layers.h"

#include <torch/torch.h>

#include "quant/quantizer.h"

namespace faultscape {
namespace {
torch::Tensor make_bound(torch::nn::Module& m, const WeightQuant& q) {
  torch::Tensor b = torch::full({}, q.bound);
  return q.learnable ? m.register_parameter("weight_bound", b) : m.register_buffer("weight_bound", b);
}
}  // namespace

QuantConv2dImpl::QuantConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
                                 bool bias, WeightQuant q)
    : quant(q) {
  conv = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(bias)));
  if (quant.bits > 0) bound_ = make_bound(*this, quant);
}

torch::Tensor QuantConv2dImpl::effective_weight() const {
  return quant.bits > 0 ? fake_quantize(conv->weight, quant.bits, bound_) : conv->weight;
}

torch::Tensor QuantConv2dImpl::forward(const torch::Tensor& x) {
  const auto& o = conv->options;
  torch::Tensor y = torch::conv2d(x, effective_weight(), conv->bias, o.stride(),
                                  c10::get<torch::ExpandingArray<2>>(o.padding()), o.dilation(), o.groups());
  // MACs of one image: every output element sums in_channels/groups * kernel area products.
  const auto& k = o.kernel_size();
  last_macs = y[0].numel() * (o.in_channels() / o.groups()) * (*k)[0] * (*k)[1];
  return y;
}

QuantLinearImpl::QuantLinearImpl(int64_t in, int64_t out, bool bias, WeightQuant q) : quant(q) {
  linear = register_module("linear", torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias)));
  if (quant.bits > 0) bound_ = make_bound(*this, quant);
}

torch::Tensor QuantLinearImpl::effective_weight() const {
  return quant.bits > 0 ? fake_quantize(linear->weight, quant.bits, bound_) : linear->weight;
}

torch::Tensor QuantLinearImpl::forward(const torch::Tensor& x) {
  last_macs = linear->options.in_features() * linear->options.out_features();
  return torch::linear(x, effective_weight(), linear->bias);
}

}  // namespace faultscape
