#include "protect/overhead.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "models/summary.h"
#include "models/module_copy.h"

namespace faultscape {
namespace {

int64_t memory_bytes(Network& net) {
  int64_t bytes = 0;
  for (const auto& p : net->parameters()) bytes += p.numel() * p.element_size();
  for (const auto& b : net->buffers()) bytes += b.numel() * b.element_size();
  return bytes;
}

// Per-image extra ops (voted values) recorded by the checkers during summarize()'s one-image pass.
int64_t extra_ops(Network& net, int64_t CheckerOps::*field) {
  int64_t ops = 0;
  for (const auto& m : net->modules())
    if (auto* c = dynamic_cast<CheckerOps*>(m.get())) ops += c->*field;
  return ops;
}

double time_batch(Network& net, const torch::Tensor& x) {
  auto t0 = std::chrono::steady_clock::now();
  torch::Tensor y = net->forward(x);
  (void)y.sum().item<float>();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

double Overhead::hardware_cost() const {
  double compute = macs_base > 0 ? static_cast<double>(macs + extra_ops) / macs_base : 1;
  double memory = memory_bytes_base > 0 ? static_cast<double>(memory_bytes) / memory_bytes_base : 1;
  return 0.5 * (compute + memory);
}

double Overhead::unrolled_cost() const {
  return macs_base > 0 ? static_cast<double>(macs + voted_values) / macs_base : 1;
}

nlohmann::json Overhead::to_json() const {
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  return {{"params", params},
          {"params_base", params_base},
          {"params_ratio", ratio(params, params_base)},
          {"macs", macs},
          {"macs_base", macs_base},
          {"macs_ratio", ratio(macs, macs_base)},
          {"extra_ops", extra_ops},
          {"voted_values", voted_values},
          {"memory_bytes", memory_bytes},
          {"memory_bytes_base", memory_bytes_base},
          {"memory_ratio", ratio(memory_bytes, memory_bytes_base)},
          {"latency_ms", latency_ms},
          {"latency_ms_base", latency_ms_base},
          {"latency_ratio", ratio(latency_ms, latency_ms_base)},
          {"hardware_cost", hardware_cost()},
          {"unrolled_cost", unrolled_cost()}};
}

Overhead measure_overhead(Network& base, Network& prot, const torch::Tensor& images, int repeats) {
  Overhead o;
  ModelSummary sb = summarize(base), sp = summarize(prot);
  o.params_base = sb.params, o.params = sp.params;
  o.macs_base = sb.macs, o.macs = sp.macs;
  o.extra_ops = extra_ops(prot, &CheckerOps::last_extra_ops);
  o.voted_values = extra_ops(prot, &CheckerOps::last_voted_values);
  o.memory_bytes_base = memory_bytes(base), o.memory_bytes = memory_bytes(prot);
  if (images.defined() && images.size(0) > 0) {
    torch::InferenceMode inference;
    base->eval(), prot->eval();
    torch::Tensor x = images.narrow(0, 0, std::min<int64_t>(256, images.size(0)));
    time_batch(base, x), time_batch(prot, x);  // warm-up
    std::vector<double> tb, tp;
    for (int r = 0; r < repeats; ++r) {  // interleaved, so both see the same machine state
      tb.push_back(time_batch(base, x));
      tp.push_back(time_batch(prot, x));
    }
    o.latency_ms_base = median(tb) / x.size(0);
    o.latency_ms = median(tp) / x.size(0);
  }
  return o;
}

}  // namespace faultscape
