#include "quant/quant_layers.h"
#include "runtime/torch_compat.h"

#include <torch/torch.h>

#include "quant/quantizer.h"

namespace faultscape {
namespace {
// The bound defaults to the largest initial |w|, so that the levels cover the weights whatever the
// layer's fan-in (a fixed bound of 1 would round every Kaiming-initialised weight to 0). Binary
// weights are +-1 as in FINN: the sign does not depend on the bound.
torch::Tensor make_bound(torch::nn::Module& m, WeightQuant& q, const torch::Tensor& weight) {
  if (q.bound <= 0) q.bound = q.bits == 1 ? 1.0 : weight.detach().abs().max().item<double>();
  torch::Tensor b = torch::full({}, q.bound);
  return q.learnable ? m.register_parameter("weight_bound", b) : m.register_buffer("weight_bound", b);
}
}  // namespace

QuantConv2dImpl::QuantConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool bias,
                                 WeightQuant q)
    : QuantConv2dImpl(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(bias), q) {}

QuantConv2dImpl::QuantConv2dImpl(const torch::nn::Conv2dOptions& options, WeightQuant q) : quant(q) {
  conv = register_module("conv", torch::nn::Conv2d(options));
  if (quant.bits > 0) bound_ = make_bound(*this, quant, conv->weight);
}

torch::Tensor QuantConv2dImpl::effective_weight() const {
  return quant.bits > 0 ? fake_quantize(conv->weight, quant.bits, bound_) : conv->weight;
}

torch::Tensor QuantConv2dImpl::forward(const torch::Tensor& x) {
  const auto& o = conv->options;
  torch::Tensor y =
      torch::conv2d(x, effective_weight(), conv->bias, o.stride(), conv_padding(o), o.dilation(), o.groups());
  // MACs of one image: every output element sums in_channels/groups * kernel area products.
  const auto& k = o.kernel_size();
  last_macs = y[0].numel() * (o.in_channels() / o.groups()) * (*k)[0] * (*k)[1];
  return y;
}

QuantLinearImpl::QuantLinearImpl(int64_t in, int64_t out, bool bias, WeightQuant q) : quant(q) {
  linear = register_module("linear", torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias)));
  if (quant.bits > 0) bound_ = make_bound(*this, quant, linear->weight);
}

torch::Tensor QuantLinearImpl::effective_weight() const {
  return quant.bits > 0 ? fake_quantize(linear->weight, quant.bits, bound_) : linear->weight;
}

torch::Tensor QuantLinearImpl::forward(const torch::Tensor& x) {
  last_macs = linear->options.in_features() * linear->options.out_features();
  return torch::linear(x, effective_weight(), linear->bias);
}

torch::nn::Conv2dOptions conv2d_options(const torch::nn::detail::ConvNdOptions<2>& o) {
  return torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
      .stride(o.stride())
      .padding(o.padding())
      .dilation(o.dilation())
      .groups(o.groups())
      .bias(o.bias())
      .padding_mode(o.padding_mode());
}

double QuantConv2dImpl::weight_bound() const { return bound_.defined() ? bound_.item<double>() : 0.0; }
double QuantLinearImpl::weight_bound() const { return bound_.defined() ? bound_.item<double>() : 0.0; }

void QuantConv2dImpl::clip_latent_weight() {
  torch::NoGradGuard no_grad;
  if (quant.bits > 0) conv->weight.clamp_(-weight_bound(), weight_bound());
}

void QuantLinearImpl::clip_latent_weight() {
  torch::NoGradGuard no_grad;
  if (quant.bits > 0) linear->weight.clamp_(-weight_bound(), weight_bound());
}

void clip_quantized_weights(torch::nn::Module& module) {
  for (const auto& m : module.modules()) {
    if (auto* c = dynamic_cast<QuantConv2dImpl*>(m.get()))
      c->clip_latent_weight();
    else if (auto* l = dynamic_cast<QuantLinearImpl*>(m.get()))
      l->clip_latent_weight();
  }
}

}  // namespace faultscape
