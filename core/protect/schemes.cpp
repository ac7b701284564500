#include "protect/schemes.h"

#include <torch/torch.h>

#include <cmath>

#include "common/error.h"
#include "protect/abft.h"
#include "protect/module_copy.h"
#include "protect/profile.h"
#include "protect/range_restrict.h"
#include "protect/redundancy.h"
#include "protect/stored_weight.h"
#include "quant/quant_layers.h"
#include "quant/quantizer.h"

namespace faultscape {
namespace {

bool is_layer(const Stage& s) { return s.kind == "conv" || s.kind == "linear"; }

Network empty_like(const Network& net) { return Network(net->config(), net->input_shape(), net->num_classes()); }

// Index of the last stage of the group a layer heads: the layer and its checker stages.
size_t group_end(const Network& net, size_t i) {
  const std::string prefix = net->stage(i).name + "_";
  size_t j = i;
  while (j + 1 < net->size() && net->stage(j + 1).kind == "check" && net->stage(j + 1).name.rfind(prefix, 0) == 0) ++j;
  return j;
}

// Which stages a scheme protects: its "layers", or every conv / linear stage (but the last
// one when skip_last). TMR may name any stage but a checker.
std::vector<bool> targets(const Network& net, const ProtectionSpec& spec, bool skip_last) {
  std::vector<bool> on(net->size(), false);
  const size_t last = net->size() - 1;
  if (spec.layers.empty()) {
    for (size_t i = 0; i < net->size(); ++i) on[i] = is_layer(net->stage(i)) && !(skip_last && i == last);
    return on;
  }
  for (const auto& name : spec.layers) {
    int i = net->stage_index(name);
    if (i < 0) {
      std::string known;
      for (const auto& s : net->stages())
        if (s.kind != "check") known += (known.empty() ? "" : ", ") + s.name;
      throw ConfigError(spec.path + ".layers: no stage \"" + name + "\" in this model (stages: " + known + ")");
    }
    const Stage& s = net->stage(i);
    if (s.kind == "check" || (spec.scheme != "tmr" && !is_layer(s)))
      throw ConfigError(spec.path + ".layers: stage \"" + name + "\" is a " + s.kind + " stage; " + spec.scheme +
                        " protects conv / linear stages");
    on[i] = true;
  }
  return on;
}

torch::Tensor first_images(const torch::Tensor& images, int64_t n, const ProtectionSpec& spec) {
  if (!images.defined() || images.size(0) == 0)
    throw ConfigError(spec.path + ": " + spec.scheme + " profiles the network on training data, but none was given");
  return images.narrow(0, 0, std::min(n, images.size(0)));
}

// The plain conv / linear layer a stage starts with; other schemes must come after.
torch::nn::AnyModule leading_layer(const Stage& s, const ProtectionSpec& spec) {
  if (s.module->size() > 0) {
    const auto& m = s.module->begin()[0];
    if (dynamic_cast<QuantConv2dImpl*>(m.ptr().get()) || dynamic_cast<QuantLinearImpl*>(m.ptr().get())) return m;
  }
  throw ConfigError(spec.path + ": stage \"" + s.name + "\" does not start with a plain conv / linear layer (" +
                    spec.scheme + " must come before tmr, abft, saturate and scale in the protection list)");
}

torch::Tensor expand_rows(const torch::Tensor& t, const torch::Tensor& dup, int copies) {
  std::vector<torch::Tensor> parts = {t};
  for (int c = 1; c < copies; ++c) parts.push_back(t.index_select(0, dup));
  return torch::cat(parts);
}

// The layer's stage with `dup` output channels repeated (copies - 1) more times: conv / linear
// rows and batch-norm entries; element-wise modules (activations) are copied.
torch::nn::Sequential expand_stage(const Stage& s, const torch::Tensor& dup, int copies, const ProtectionSpec& spec) {
  torch::NoGradGuard no_grad;
  torch::nn::Sequential out;
  bool first = true;
  for (const auto& m : *s.module) {
    torch::nn::Module* p = m.ptr().get();
    const int64_t extra = (copies - 1) * dup.size(0);
    if (first) {
      leading_layer(s, spec);
      if (auto* c = dynamic_cast<QuantConv2dImpl*>(p)) {
        const auto& o = c->conv->options;
        QuantConv2d e(o.in_channels(), o.out_channels() + extra, (*o.kernel_size())[0], (*o.stride())[0],
                      (*c10::get<torch::ExpandingArray<2>>(o.padding()))[0], o.bias(), c->quant);
        e->conv->weight.copy_(expand_rows(c->conv->weight, dup, copies));
        if (o.bias()) e->conv->bias.copy_(expand_rows(c->conv->bias, dup, copies));
        for (auto& b : e->named_buffers(false)) b.value().copy_(*c->named_buffers(false).find(b.key()));
        for (auto& b : e->named_parameters(false)) b.value().copy_(*c->named_parameters(false).find(b.key()));
        out->push_back(e);
      } else {
        auto* l = dynamic_cast<QuantLinearImpl*>(p);
        const auto& o = l->linear->options;
        QuantLinear e(o.in_features(), o.out_features() + extra, o.bias(), l->quant);
        e->linear->weight.copy_(expand_rows(l->linear->weight, dup, copies));
        if (o.bias()) e->linear->bias.copy_(expand_rows(l->linear->bias, dup, copies));
        for (auto& b : e->named_buffers(false)) b.value().copy_(*l->named_buffers(false).find(b.key()));
        for (auto& b : e->named_parameters(false)) b.value().copy_(*l->named_parameters(false).find(b.key()));
        out->push_back(e);
      }
      first = false;
      continue;
    }
    auto expand_bn = [&](auto* bn, auto made) {
      auto opts = bn->options;
      opts.num_features(opts.num_features() + extra);
      auto e = made(opts);
      if (bn->weight.defined()) e->weight.copy_(expand_rows(bn->weight, dup, copies));
      if (bn->bias.defined()) e->bias.copy_(expand_rows(bn->bias, dup, copies));
      if (bn->running_mean.defined()) e->running_mean.copy_(expand_rows(bn->running_mean, dup, copies));
      if (bn->running_var.defined()) e->running_var.copy_(expand_rows(bn->running_var, dup, copies));
      out->push_back(e);
    };
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(p))
      expand_bn(bn, [](const torch::nn::BatchNormOptions& o) { return torch::nn::BatchNorm2d(o); });
    else if (auto* bn1 = dynamic_cast<torch::nn::BatchNorm1dImpl*>(p))
      expand_bn(bn1, [](const torch::nn::BatchNormOptions& o) { return torch::nn::BatchNorm1d(o); });
    else
      out->push_back(copy_any(m));
  }
  out->eval();
  return out;
}

Network apply_tmr(const Network& net, const ProtectionSpec& spec, nlohmann::json& details) {
  std::vector<bool> on = targets(net, spec, false);
  Network out = empty_like(net);
  std::vector<std::string> done;
  for (size_t i = 0; i < net->size(); ++i) {
    const Stage& s = net->stage(i);
    if (!on[i]) {
      out->add_stage(s.name, s.kind, copy_sequential(s.module));
      continue;
    }
    out->add_stage(s.name, s.kind, torch::nn::Sequential(Replicate(s.module, 3)));
    out->add_stage(s.name + "_vote", "check", torch::nn::Sequential(Vote(spec.vote)));
    done.push_back(s.name);
  }
  details["layers"] = done;
  return out;
}

Network apply_edac(const Network& net, const ProtectionSpec& spec, const torch::Tensor& images,
                   nlohmann::json& details) {
  std::vector<bool> on = targets(net, spec, false);
  torch::Tensor profile = first_images(images, spec.profile_images, spec);
  Network src = net;
  Network out = empty_like(net);
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < net->size(); ++i) {
    const Stage& s = net->stage(i);
    if (!on[i]) {
      out->add_stage(s.name, s.kind, copy_sequential(s.module));
      continue;
    }
    leading_layer(s, spec);
    auto [lo, hi] = percentile_bounds(profile_stage_outputs(src, static_cast<int>(i), profile), true, spec.percentile);
    const int64_t channels = lo.size(0);
    // The last layer is duplicated entirely (the paper: no immediate misclassification).
    const bool last = i + 1 == net->size();
    const int64_t d = last ? channels : std::min<int64_t>(channels, static_cast<int64_t>(std::ceil(spec.ratio * channels - 1e-9)));
    torch::Tensor dup = torch::empty({0}, torch::kLong);
    if (d > 0) {
      torch::Tensor v = d < channels ? channel_vulnerability(src, static_cast<int>(i), profile)
                                     : torch::zeros({channels});
      dup = std::get<0>(std::get<1>(v.topk(d)).sort());
    }
    out->add_stage(s.name, s.kind, expand_stage(s, dup, spec.copies, spec));
    out->add_stage(s.name + "_edac", "check", torch::nn::Sequential(Edac(dup, lo, hi, spec.copies, spec.intervals)));
    layers.push_back({{"layer", s.name}, {"channels", channels}, {"duplicated", d}});
  }
  details["layers"] = layers;
  return out;
}

// Replaces the leading conv / linear layer of each targeted stage with `wrap(layer copy)`.
template <class Wrap>
Network wrap_layers(const Network& net, const ProtectionSpec& spec, nlohmann::json& details, Wrap wrap) {
  std::vector<bool> on = targets(net, spec, false);
  Network out = empty_like(net);
  std::vector<std::string> done;
  for (size_t i = 0; i < net->size(); ++i) {
    const Stage& s = net->stage(i);
    if (!on[i]) {
      out->add_stage(s.name, s.kind, copy_sequential(s.module));
      continue;
    }
    torch::nn::AnyModule layer = copy_any(leading_layer(s, spec));
    torch::nn::Sequential seq;
    bool first = true;
    for (const auto& m : *s.module) {
      if (first) {
        auto conv = std::dynamic_pointer_cast<QuantConv2dImpl>(layer.ptr());
        auto lin = std::dynamic_pointer_cast<QuantLinearImpl>(layer.ptr());
        seq->push_back(conv ? wrap(QuantConv2d(conv)) : wrap(QuantLinear(lin)));
        first = false;
      } else {
        seq->push_back(copy_any(m));
      }
    }
    seq->eval();
    out->add_stage(s.name, s.kind, seq);
    done.push_back(s.name);
  }
  details["layers"] = done;
  return out;
}

Network apply_range(const Network& net, const ProtectionSpec& spec, const torch::Tensor& images,
                    nlohmann::json& details) {
  std::vector<bool> on = targets(net, spec, true);
  torch::Tensor profile = first_images(images, spec.profile_images, spec);
  Network src = net;
  Network out = empty_like(net);
  nlohmann::json layers = nlohmann::json::array();
  const std::string mode = spec.scheme == "ranger" ? "clamp" : "zero";
  for (size_t i = 0; i < net->size(); ++i) {
    const Stage& s = net->stage(i);
    out->add_stage(s.name, s.kind, copy_sequential(s.module));
    if (!on[i]) continue;
    const size_t end = group_end(net, i);
    for (size_t k = i + 1; k <= end; ++k)
      out->add_stage(net->stage(k).name, net->stage(k).kind, copy_sequential(net->stage(k).module));
    auto [lo, hi] = percentile_bounds(profile_stage_outputs(src, static_cast<int>(end), profile),
                                      spec.granularity == "channel", spec.percentile);
    out->add_stage(s.name + "_range", "check", torch::nn::Sequential(RangeRestrict(lo, hi, mode)));
    layers.push_back({{"layer", s.name},
                      {"lower", std::vector<float>(lo.data_ptr<float>(), lo.data_ptr<float>() + lo.numel())},
                      {"upper", std::vector<float>(hi.data_ptr<float>(), hi.data_ptr<float>() + hi.numel())}});
    i = end;
  }
  details["layers"] = layers;
  return out;
}

Network apply_qbound(const Network& net, const ProtectionSpec& spec, nlohmann::json& details) {
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
          if (auto* t = m->named_buffers(false).find(name)) t->mul_(spec.factor), quantized = true;
          if (auto* t = m->named_parameters(false).find(name)) t->mul_(spec.factor), quantized = true;
        };
        if (auto* c = dynamic_cast<QuantConv2dImpl*>(m.get()); c && c->quant.bits > 0)
          shrink("weight_bound"), c->quant.bound *= spec.factor;
        else if (auto* l = dynamic_cast<QuantLinearImpl*>(m.get()); l && l->quant.bits > 0)
          shrink("weight_bound"), l->quant.bound *= spec.factor;
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

}  // namespace

Network apply_scheme(const Network& net, const ProtectionSpec& spec, const torch::Tensor& images,
                     nlohmann::json& details) {
  details = spec.to_json();
  Network out{nullptr};
  if (spec.scheme == "tmr") out = apply_tmr(net, spec, details);
  else if (spec.scheme == "edac") out = apply_edac(net, spec, images, details);
  else if (spec.scheme == "ranger" || spec.scheme == "clipact") out = apply_range(net, spec, images, details);
  else if (spec.scheme == "qbound") out = apply_qbound(net, spec, details);
  else if (spec.scheme == "abft")
    out = wrap_layers(net, spec, details, [&](auto layer) { return Abft(layer, spec.tolerance); });
  else if (spec.scheme == "saturate" || spec.scheme == "scale")
    out = wrap_layers(net, spec, details, [&](auto layer) {
      return StoredWeight(layer, spec.scheme == "scale" ? "scale" : spec.function, spec.factor);
    });
  else throw ConfigError(spec.path + ".scheme: unknown scheme \"" + spec.scheme + "\"");
  out->eval();
  return out;
}

Network apply_protection(const Network& net, const std::vector<ProtectionSpec>& specs,
                         const torch::Tensor& images, nlohmann::json& details) {
  details = nlohmann::json::array();
  Network current = net;
  for (const auto& spec : specs) {
    nlohmann::json d;
    current = apply_scheme(current, spec, images, d);
    details.push_back(d);
  }
  return current;
}

nlohmann::json abft_counts(Network& net) {
  AbftCounts total;
  for (const auto& m : net->modules())
    if (auto* a = dynamic_cast<AbftImpl*>(m.get())) {
      total.checked += a->counts.checked;
      total.detected += a->counts.detected;
      total.corrected += a->counts.corrected;
      total.uncorrectable += a->counts.uncorrectable;
    }
  return {{"checked", total.checked}, {"detected", total.detected}, {"corrected", total.corrected},
          {"uncorrectable", total.uncorrectable}};
}

void reset_abft_counts(Network& net) {
  for (const auto& m : net->modules())
    if (auto* a = dynamic_cast<AbftImpl*>(m.get())) a->counts = {};
}

}  // namespace faultscape
