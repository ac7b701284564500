#include "protect/qbound.h"

#include <torch/torch.h>

#include "common/error.h"
#include "models/module_copy.h"
#include "protect/stage_tools.h"
#include "quant/quant_layers.h"
#include "quant/quantizer.h"
#include "train/evaluate.h"

namespace faultscape {
namespace {

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
          if (auto* t = m->named_buffers(false).find(name)) t->mul_(factor), quantized = true;
          if (auto* t = m->named_parameters(false).find(name)) t->mul_(factor), quantized = true;
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
    throw ConfigError(spec.path + ": qbound shrinks quantization bounds, but no selected layer is quantized "
                      "(set model.weight_bits / act_bits)");
  details["layers"] = done;
  return out;
}

double accuracy(Network& net, const torch::Tensor& images, const torch::Tensor& labels) {
  return 100.0 * predict(net, images).eq(labels).sum().item<double>() / static_cast<double>(labels.size(0));
}

}  // namespace

Network apply_qbound(const Network& net, const ProtectionSpec& spec, const torch::Tensor& images,
                     const torch::Tensor& labels, nlohmann::json& details) {
  if (spec.mode != "optimized") return shrink_bounds(net, spec, spec.factor, details);
  torch::Tensor x = first_images(images, spec.profile_images, spec);
  if (!labels.defined() || labels.size(0) < x.size(0))
    throw ConfigError(spec.path + ": optimized qbound measures accuracy, but the profiling images have no labels");
  torch::Tensor y = labels.narrow(0, 0, x.size(0));
  Network unbounded = net;
  const double reference = accuracy(unbounded, x, y);
  double best = 1.0;
  nlohmann::json tried = nlohmann::json::array();
  for (int step = 1; 1.0 - 0.05 * step >= spec.factor - 1e-9; ++step) {
    const double f = 1.0 - 0.05 * step;
    nlohmann::json ignored;
    Network candidate = shrink_bounds(net, spec, f, ignored);
    const double a = accuracy(candidate, x, y);
    tried.push_back({{"factor", f}, {"accuracy", a}});
    if (a < reference - spec.tolerance) break;
    best = f;
  }
  Network out = shrink_bounds(net, spec, best, details);
  details["chosen_factor"] = best;
  details["reference_accuracy"] = reference;
  details["search"] = tried;
  return out;
}

}  // namespace faultscape
