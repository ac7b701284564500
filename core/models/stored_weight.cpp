#include "models/stored_weight.h"
#include "runtime/torch_compat.h"

#include <torch/torch.h>

#include <cmath>

#include "common/error.h"

namespace faultscape {

StoredWeightImpl::StoredWeightImpl(std::string function) : function_(std::move(function)) {
  if (function_ != "tanh" && function_ != "atan" && function_ != "scale")
    throw ConfigError("stored weights: function must be tanh, atan or scale, got " + function_);
}

StoredWeightImpl::StoredWeightImpl(QuantConv2d c, std::string function, double factor, double scale)
    : StoredWeightImpl(std::move(function)) {
  if (c->quant.bits > 0) throw ConfigError("stored weights: layer has quantized weights; needs float weights");
  conv = register_module("layer", std::move(c));
  encode(factor, scale);
}

StoredWeightImpl::StoredWeightImpl(QuantLinear l, std::string function, double factor, double scale)
    : StoredWeightImpl(std::move(function)) {
  if (l->quant.bits > 0) throw ConfigError("stored weights: layer has quantized weights; needs float weights");
  linear = register_module("layer", std::move(l));
  encode(factor, scale);
}

void StoredWeightImpl::encode(double factor, double scale) {
  torch::NoGradGuard no_grad;
  torch::Tensor w = conv ? conv->conv->weight : linear->linear->weight;
  const double max_w = w.abs().max().item<double>();
  const bool given = scale > 0 && function_ != "scale";
  double s = function_ == "scale" ? factor : given ? scale : factor * max_w;
  if (s <= 0) s = 1;
  // A trained layer decodes to s f(v) with |f| < 1 in exact arithmetic; in float its largest
  // weights may round to s itself. Beyond s (plus that rounding) the weights were changed after
  // training, and the trained encoding cannot hold them.
  if (given && max_w > s * (1 + 1e-6))
    throw ConfigError("stored weights: max |w| = " + std::to_string(max_w) +
                      " exceeds the trained scale s = " + std::to_string(s));
  scale_ = register_buffer("decode_scale", torch::full({}, s, w.options()));
  // The ratio w / s kept strictly inside (-1, 1): a weight that rounded to s is stored at the
  // largest finite code (atanh(1) would be infinite) and decodes to s within one float step.
  const double below_one = std::nextafter(1.0f, 0.0f);
  if (function_ == "tanh")
    w.copy_(torch::atanh((w / s).clamp(-below_one, below_one)));
  else if (function_ == "atan")
    w.copy_(torch::tan((w / s).clamp(-below_one, below_one) * (M_PI / 2)));
  else
    w.mul_(s);
}

torch::Tensor StoredWeightImpl::decoded_weight() const {
  torch::Tensor v = conv ? conv->conv->weight : linear->linear->weight;
  if (function_ == "tanh") return scale_ * torch::tanh(v);
  if (function_ == "atan") return scale_ * (2 / M_PI) * torch::atan(v);
  return v / scale_;
}

torch::Tensor StoredWeightImpl::forward(const torch::Tensor& x) {
  torch::Tensor w = decoded_weight();
  if (linear) {
    linear->last_macs = linear->linear->options.in_features() * linear->linear->options.out_features();
    last_extra_ops = w.numel();  // one decode per weight read
    return torch::linear(x, w, linear->linear->bias);
  }
  const auto& o = conv->conv->options;
  torch::Tensor y = torch::conv2d(x, w, conv->conv->bias, o.stride(), conv_padding(o), o.dilation(), o.groups());
  const auto& k = o.kernel_size();
  conv->last_macs = y[0].numel() * (o.in_channels() / o.groups()) * (*k)[0] * (*k)[1];
  last_extra_ops = w.numel();
  return y;
}

torch::nn::AnyModule StoredWeightImpl::copy_structure() const {
  // Copies built with factor 1 and the state (stored weight, scale) copied over afterwards.
  auto copy = std::shared_ptr<StoredWeightImpl>(new StoredWeightImpl(function_));
  if (conv)
    copy->conv = copy->register_module(
        "layer", QuantConv2d(std::dynamic_pointer_cast<QuantConv2dImpl>(copy_any(torch::nn::AnyModule(conv)).ptr())));
  else
    copy->linear = copy->register_module(
        "layer", QuantLinear(std::dynamic_pointer_cast<QuantLinearImpl>(copy_any(torch::nn::AnyModule(linear)).ptr())));
  copy->scale_ = copy->register_buffer("decode_scale", scale_.clone());
  return torch::nn::AnyModule(StoredWeight(copy));
}

}  // namespace faultscape
