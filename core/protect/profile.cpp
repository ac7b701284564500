#include "protect/profile.h"

#include <torch/torch.h>

#include <cmath>

#include "common/error.h"
#include "models/module_copy.h"
#include "prune/vulnerability.h"
#include "quant/quant_layers.h"
#include "quant/quantizer.h"

namespace faultscape {

torch::Tensor profile_stage_outputs(Network& net, int stage, const torch::Tensor& images, int64_t batch) {
  torch::InferenceMode inference;
  net->eval();
  std::vector<torch::Tensor> parts;
  for (int64_t off = 0; off < images.size(0); off += batch)
    parts.push_back(net->forward_range(images.narrow(0, off, std::min(batch, images.size(0) - off)), 0, stage + 1));
  return torch::cat(parts);
}

torch::Tensor profile_stage_inputs(Network& net, int stage, const torch::Tensor& images, int64_t batch) {
  if (stage == 0) return images;
  return profile_stage_outputs(net, stage - 1, images, batch);
}

torch::Tensor profile_module(torch::nn::Sequential module, const torch::Tensor& inputs, int64_t batch) {
  torch::InferenceMode inference;
  module->eval();
  std::vector<torch::Tensor> parts;
  for (int64_t off = 0; off < inputs.size(0); off += batch)
    parts.push_back(module->forward(inputs.narrow(0, off, std::min(batch, inputs.size(0) - off))));
  return torch::cat(parts);
}

torch::Tensor rounding_tolerance(torch::nn::Sequential stage, const torch::Tensor& inputs) {
  torch::NoGradGuard no_grad;
  if (stage->size() == 0) throw ModelError("rounding tolerance: empty stage");
  // S_c: the layer run with |w|, |b| on |x| (the symmetric weight quantizer commutes with abs).
  torch::nn::AnyModule layer = copy_any(stage->begin()[0]);
  int64_t fan_in = 0;
  for (const auto& p : layer.ptr()->named_parameters()) {
    if (p.key().find("weight") != std::string::npos && p.value().dim() >= 2) fan_in = p.value()[0].numel();
    p.value().abs_();
  }
  if (fan_in == 0) throw ModelError("rounding tolerance: the stage does not start with a conv / linear layer");
  torch::Tensor sums = profile_module(torch::nn::Sequential(layer), inputs.abs());
  torch::Tensor outs = profile_module(stage, inputs);
  auto channel_max = [](const torch::Tensor& t) {
    return t.dim() > 2 ? t.transpose(0, 1).reshape({t.size(1), -1}).amax(1) : t.amax(0);
  };
  const double u = std::ldexp(1.0, -24), n = static_cast<double>(fan_in + 1);
  torch::Tensor tol = channel_max(sums) * (2 * n * u / (1 - n * u));
  double step = 0;
  for (auto it = stage->begin() + 1; it != stage->end(); ++it) {
    torch::nn::Module* m = it->ptr().get();
    auto scale_by = [&](auto* bn) {
      torch::Tensor s = (bn->running_var + bn->options.eps()).rsqrt();
      if (bn->weight.defined()) s = s * bn->weight.abs();
      tol = tol * s;
    };
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m)) scale_by(bn);
    if (auto* bn1 = dynamic_cast<torch::nn::BatchNorm1dImpl*>(m)) scale_by(bn1);
    if (auto* q = dynamic_cast<QuantActImpl*>(m)) {
      const std::vector<double> levels = q->levels();
      for (size_t i = 1; i < levels.size(); ++i) step = std::max(step, levels[i] - levels[i - 1]);
    }
  }
  tol = tol + 4 * u * channel_max(outs.abs());
  return (2 * tol + step).to(torch::kFloat).contiguous();
}

std::pair<torch::Tensor, torch::Tensor> percentile_bounds(const torch::Tensor& values, bool per_channel,
                                                          double percentile) {
  torch::Tensor v = per_channel ? values.transpose(0, 1).reshape({values.size(1), -1}) : values.reshape({1, -1});
  // NaN (a diverged profile) would sort last and become the bound: refuse instead.
  if (!torch::isfinite(v).all().item<bool>()) throw ModelError("profiling: non-finite activations on training data");
  const int64_t n = v.size(1);
  if (n == 0) throw ModelError("profiling: no values");
  const double q = percentile / 100.0;
  int64_t k_hi = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(q * n)), 1, n);
  int64_t k_lo = std::clamp<int64_t>(n + 1 - k_hi, 1, n);
  torch::Tensor hi = std::get<0>(v.kthvalue(k_hi, 1)), lo = std::get<0>(v.kthvalue(k_lo, 1));
  return {lo, hi};
}

torch::Tensor channel_vulnerability(Network& net, int stage, const torch::Tensor& images, int64_t batch) {
  return channel_vulnerability(net, net->stage(stage), images, batch);
}

torch::Tensor channel_vulnerability(Network& net, const Stage& st, const torch::Tensor& images, int64_t batch) {
  return layer_vulnerability(net, {&st}, images, batch).front().to(torch::kFloat);
}

}  // namespace faultscape
