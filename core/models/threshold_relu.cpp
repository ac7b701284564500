#include "models/threshold_relu.h"

#include <torch/torch.h>

#include <limits>
#include <set>

#include "common/error.h"

namespace faultscape {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct ThresholdGateFunction : public torch::autograd::Function<ThresholdGateFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& t, double sharpness) {
    ctx->save_for_backward({x, t});
    ctx->saved_data["sharpness"] = sharpness;
    return torch::where(x <= t, x, torch::zeros_like(x));  // NaN <= t is false: NaN -> 0
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_output) {
    auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& t = saved[1];
    const double sharpness = ctx->saved_data["sharpness"].toDouble();
    torch::Tensor g = grad_output[0];
    torch::Tensor keep = x <= t;
    torch::Tensor gx = torch::where(keep, g, torch::zeros_like(g));
    // Surrogate dy/dT of f_k(x) = x sigmoid(k (T - x)), k = sharpness / T.
    torch::Tensor k = sharpness / t.clamp_min(1e-12);
    torch::Tensor s = torch::sigmoid(k * (t - x));
    torch::Tensor dt = g * x * k * s * (1 - s);
    dt = torch::where(torch::isfinite(dt), dt, torch::zeros_like(dt));  // non-finite x moves nothing
    torch::Tensor gt = dt.sum_to_size(t.sizes());
    return {gx, gt, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor threshold_gate(const torch::Tensor& x, const torch::Tensor& threshold, double sharpness) {
  return ThresholdGateFunction::apply(x, threshold, sharpness);
}

ThresholdReLUImpl::ThresholdReLUImpl(int64_t channels, double sharpness) : channels_(channels), sharpness_(sharpness) {
  reset();
}

void ThresholdReLUImpl::reset() {
  const double inf = std::numeric_limits<double>::infinity();
  torch::Tensor t = channels_ > 0 ? torch::full({channels_}, inf) : torch::full({}, inf);
  threshold = register_parameter("threshold", t);
}

void ThresholdReLUImpl::keep_channels(const torch::Tensor& index) {
  if (channels_ == 0) return;  // one threshold for the stage: unchanged
  torch::NoGradGuard no_grad;
  threshold.set_(threshold.index_select(0, index).clone());
  if (threshold.grad().defined()) threshold.mutable_grad() = torch::Tensor();
  channels_ = index.numel();
}

bool ThresholdReLUImpl::profiled() const { return torch::isfinite(threshold).all().item<bool>(); }

torch::Tensor ThresholdReLUImpl::forward(const torch::Tensor& x) {
  if (!profiled()) return x;
  torch::Tensor t = threshold;
  if (channels_ > 0) {
    if (x.dim() < 2 || x.size(1) != channels_)
      throw ModelError("threshold ReLU: expected " + std::to_string(channels_) + " channels, got input " +
                       c10::str(x.sizes()));
    std::vector<int64_t> shape(x.dim(), 1);
    shape[1] = channels_;
    t = t.view(shape);
  }
  if (!torch::GradMode::is_enabled() || !t.requires_grad()) return torch::where(x <= t, x, torch::zeros_like(x));
  return threshold_gate(x, t, sharpness_);
}

nlohmann::json threshold_record(const Network& net) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : net->stages())
    for (const auto& m : s.module->children())
      if (auto* g = dynamic_cast<const ThresholdReLUImpl*>(m.get()))
        out.push_back({{"stage", s.name}, {"channels", g->channels()}});
  return out;
}

void apply_threshold_record(Network& net, const nlohmann::json& record, const std::string& source) {
  if (!record.is_array()) throw ModelError(source + ": threshold_act: expected an array");
  if (record.empty()) return;
  // Every entry is checked before it is used (found by fuzz_model_record: a non-object entry
  // escaped as a library exception): a gate goes on an existing stage, once, with one threshold
  // (0) or one per output channel of the stage, measured by a probe pass of one zero image.
  std::vector<int64_t> channels_of;
  try {
    torch::NoGradGuard no_grad;
    const bool training = net->is_training();
    net->eval();
    std::vector<int64_t> shape = {1};
    shape.insert(shape.end(), net->input_shape().begin(), net->input_shape().end());
    torch::Tensor x = torch::zeros(shape);
    for (size_t i = 0; i < net->size(); ++i) {
      x = net->forward_range(x, i, i + 1);
      channels_of.push_back(x.dim() >= 2 ? x.size(1) : 1);
    }
    net->train(training);
  } catch (const c10::Error& e) {
    throw ModelError(source + ": the architecture does not run on its input_shape: " + e.what_without_backtrace());
  }
  std::set<int> gated;
  for (size_t k = 0; k < record.size(); ++k) {
    const nlohmann::json& r = record[k];
    const std::string field = source + ": threshold_act[" + std::to_string(k) + "]";
    if (!r.is_object() || !r.contains("stage") || !r["stage"].is_string())
      throw ModelError(field + ": expected {\"stage\": NAME, \"channels\": N}");
    const std::string stage = r["stage"].get<std::string>();
    const int i = net->stage_index(stage);
    if (i < 0) throw ModelError(field + ": no stage \"" + stage + "\" in this model");
    if (!gated.insert(i).second) throw ModelError(field + ": a second gate on stage \"" + stage + "\"");
    const nlohmann::json channels = r.contains("channels") ? r["channels"] : nlohmann::json(0);
    const int64_t out_channels = channels_of[static_cast<size_t>(i)];
    if (!channels.is_number_integer() || (channels.get<int64_t>() != 0 && channels.get<int64_t>() != out_channels))
      throw ModelError(field + ".channels: expected 0 or " + std::to_string(out_channels) +
                       " (the stage's channels), got " + channels.dump());
    torch::nn::Sequential seq = net->stage(i).module;  // shares the stage's module
    seq->push_back(ThresholdReLU(channels.get<int64_t>()));
  }
}

}  // namespace faultscape
