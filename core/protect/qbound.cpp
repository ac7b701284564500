// Quantization bound (seed note 000, first approach): the weight and activation quantization
// ranges of the selected layers are narrowed so that a fault can only produce values inside a
// smaller range; values beyond the bound saturate.
//   basic:     every bound times a fixed shrink factor;
//   optimized: the shrink is searched from 1 down in steps of 0.05 (to factor at the lowest);
//              the smallest factor whose accuracy on the labelled profiling images stays within
//              tolerance points of the unbounded network's is kept (the search stops at the
//              first factor that loses more).
#include <nlohmann/json.hpp>

#include <torch/torch.h>

#include "common/error.h"
#include "models/module_copy.h"
#include "protect/scheme.h"
#include "protect/stage_tools.h"
#include "quant/quant_layers.h"
#include "quant/quantizer.h"
#include "train/evaluate.h"

namespace faultscape {
namespace {

struct QboundParams : SchemeParams {
  std::string mode = "basic";  // basic (fixed shrink) | optimized (searched shrink)
  double factor = 0.8;         // basic: the shrink; optimized: the smallest shrink tried
  double tolerance = 1.0;      // optimized: accuracy points the shrunk network may lose
};

// The network with the selected layers' quantization bounds multiplied by `factor`.
Network shrink_bounds(const Network& net, const ProtectionSpec& spec, double factor, nlohmann::json& details) {
  std::vector<bool> on = targets(net, spec, false);
  Network out = empty_like(net);
  std::vector<std::string> done;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < net->size(); ++i) {
    const Stage& s = net->stage(i);
    torch::nn::Sequential seq = copy_sequential(s.module);
    if (on[i]) {
      bool quantized = false;
      for (const auto& m : seq->modules()) {
        auto shrink = [&](const char* name) {
          // The dictionaries are returned by value: keep them alive while using what find() points into.
          auto buffers = m->named_buffers(false);
          auto params = m->named_parameters(false);
          if (auto* t = buffers.find(name)) t->mul_(factor), quantized = true;
          if (auto* t = params.find(name)) t->mul_(factor), quantized = true;
        };
        if (auto* c = dynamic_cast<QuantConv2dImpl*>(m.get()); c && c->quant.bits > 0)
          shrink("weight_bound"), c->quant.bound *= factor;
        else if (auto* l = dynamic_cast<QuantLinearImpl*>(m.get()); l && l->quant.bits > 0)
          shrink("weight_bound"), l->quant.bound *= factor;
        else if (dynamic_cast<QuantActImpl*>(m.get()))
          shrink("bound");
      }
      if (quantized) done.push_back(s.name);
    }
    out->add_stage(s.name, s.kind, seq);
  }
  if (done.empty())
    throw ConfigError(spec.path +
                      ": qbound shrinks quantization bounds, but no selected layer is quantized "
                      "(set model.weight_bits / act_bits)");
  details["layers"] = done;
  return out;
}

double accuracy(Network& net, const torch::Tensor& images, const torch::Tensor& labels) {
  return 100.0 * predict(net, images).eq(labels).sum().item<double>() / static_cast<double>(labels.size(0));
}

Network apply_qbound(const Network& net, const ProtectionSpec& spec, const torch::Tensor& images,
                     const torch::Tensor& labels, nlohmann::json& details) {
  const auto& p = params_of<QboundParams>(spec);
  if (p.mode != "optimized") return shrink_bounds(net, spec, p.factor, details);
  torch::Tensor x = first_images(images, spec.profile_images, spec);
  if (!labels.defined() || labels.size(0) < x.size(0))
    throw ConfigError(spec.path + ": optimized qbound measures accuracy, but the profiling images have no labels");
  torch::Tensor y = labels.narrow(0, 0, x.size(0));
  Network unbounded = net;
  const double reference = accuracy(unbounded, x, y);
  double best = 1.0;
  nlohmann::json tried = nlohmann::json::array();
  for (int step = 1; 1.0 - 0.05 * step >= p.factor - 1e-9; ++step) {
    const double f = 1.0 - 0.05 * step;
    nlohmann::json ignored;
    Network candidate = shrink_bounds(net, spec, f, ignored);
    const double a = accuracy(candidate, x, y);
    tried.push_back({{"factor", f}, {"accuracy", a}});
    if (a < reference - p.tolerance) break;
    best = f;
  }
  Network out = shrink_bounds(net, spec, best, details);
  details["chosen_factor"] = best;
  details["reference_accuracy"] = reference;
  details["search"] = tried;
  return out;
}

// A key the reader takes only in optimized mode.
FieldSchema optimized_only(FieldSchema f) {
  f.applies_when = {{"mode", "optimized"}};
  return f;
}

class QboundScheme : public Scheme {
 public:
  const SchemeInfo& info() const override {
    static const SchemeInfo i{
        "qbound",
        "Quantization bound",
        "Shrinks the weight and activation quantization ranges of quantized layers so bit flips produce smaller "
        "errors (note 000, quantization bound)",
        {{"mode",
          "Mode",
          FieldSchema::Type::Choice,
          "basic: shrink by a fixed factor; optimized: the smallest factor whose accuracy stays within the tolerance "
          "(note 000, basic and optimized quantization bound)",
          "basic",
          {"basic", "optimized"}},
         {"factor",
          "Shrink factor",
          FieldSchema::Type::Real,
          "basic: the bounds are multiplied by this factor in (0, 1]; optimized: the smallest factor tried (note 000)",
          nlohmann::json(),
          {},
          0,
          2147483647,
          "0.8 (basic) / 0.05 (optimized)"},
         optimized_only({"tolerance", "Accuracy tolerance", FieldSchema::Type::Real,
                         "optimized: accuracy points in [0, 100) the shrunk network may lose (note 000)", 1.0}),
         optimized_only(profile_images_field("Profile images",
                                             "optimized: training images on which the accuracy of each factor is "
                                             "measured (note 000)")),
         layers_field("every conv / linear stage", "note 000")}};
    return i;
  }

  void read(Reader& r, ProtectionSpec& spec) const override {
    QboundParams& p = new_params<QboundParams>(spec);
    r.get_choice("mode", p.mode, {"basic", "optimized"});
    r.get_number(
        "factor", p.factor, [](double v) { return v > 0 && v <= 1; },
        p.mode == "basic" ? "a shrink factor in (0, 1]" : "the smallest shrink factor tried, in (0, 1]");
    if (p.mode == "optimized") {
      p.factor = r.has("factor") ? p.factor : 0.05;
      r.get_number(
          "tolerance", p.tolerance, [](double v) { return v >= 0 && v < 100; }, "accuracy points in [0, 100)");
      r.get_int("profile_images", spec.profile_images, 1);
    }
  }

  void write(const ProtectionSpec& spec, nlohmann::json& out) const override {
    const auto& p = params_of<QboundParams>(spec);
    out["mode"] = p.mode;
    if (p.mode == "optimized") out.update({{"tolerance", p.tolerance}, {"profile_images", spec.profile_images}});
    out["factor"] = p.factor;
  }

  BlockReach block_reach() const override { return BlockReach::Whole; }

  Network apply(const Network& net, const ProtectionSpec& spec, const ProfileData& data,
                nlohmann::json& details) const override {
    return apply_qbound(net, spec, data.images, data.labels, details);
  }
};

}  // namespace

const Scheme& qbound_scheme() {
  static const QboundScheme scheme;
  return scheme;
}

}  // namespace faultscape
