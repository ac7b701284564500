#include "protect/profile.h"

#include <torch/torch.h>

#include <cmath>

#include "common/error.h"
#include "quant/quant_layers.h"

namespace faultscape {

torch::Tensor profile_stage_outputs(Network& net, int stage, const torch::Tensor& images, int64_t batch) {
  torch::InferenceMode inference;
  net->eval();
  std::vector<torch::Tensor> parts;
  for (int64_t off = 0; off < images.size(0); off += batch)
    parts.push_back(net->forward_range(images.narrow(0, off, std::min(batch, images.size(0) - off)), 0, stage + 1));
  return torch::cat(parts);
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
  const Stage& st = net->stage(stage);
  torch::Tensor weight, bias;
  for (const auto& m : st.module->children()) {
    if (auto* c = dynamic_cast<QuantConv2dImpl*>(m.get()))
      weight = c->conv->weight, bias = c->conv->bias;
    else if (auto* l = dynamic_cast<QuantLinearImpl*>(m.get()))
      weight = l->linear->weight, bias = l->linear->bias;
    if (weight.defined()) break;
  }
  if (!weight.defined()) throw ModelError("vulnerability: stage " + st.name + " has no conv / linear layer");
  c10::InferenceMode no_inference(false);
  torch::AutoGradMode grad(true);
  net->eval();
  torch::Tensor v = torch::zeros({weight.size(0)}, torch::kDouble);
  for (int64_t off = 0; off < images.size(0); off += batch) {
    torch::Tensor x = images.narrow(0, off, std::min(batch, images.size(0) - off));
    torch::Tensor z = net->forward(x);
    const int64_t k = z.size(1);
    torch::Tensor top = std::get<0>(z.max(1));
    torch::Tensor margin = ((top * k - z.sum(1)) / std::max<int64_t>(1, k - 1)).sum();
    std::vector<torch::Tensor> inputs = {weight};
    if (bias.defined()) inputs.push_back(bias);
    auto grads = torch::autograd::grad({margin}, inputs);
    torch::Tensor effect = (weight.detach() * grads[0]).reshape({weight.size(0), -1}).sum(1);
    if (bias.defined()) effect = effect + bias.detach() * grads[1];
    v += effect.abs().to(torch::kDouble);
  }
  return v.to(torch::kFloat);
}

}  // namespace faultscape
