#include "protect/stage_tools.h"

#include <torch/torch.h>

#include "common/error.h"
#include "models/module_copy.h"
#include "protect/scheme.h"
#include "quant/quant_layers.h"
#include "runtime/device.h"

namespace faultscape {

bool is_layer(const Stage& s) { return s.kind == "conv" || s.kind == "linear"; }

Network empty_like(const Network& net) {
  Network out(net->config(), net->input_shape(), net->num_classes());
  for (const auto& [stage, encoding] : net->trained_encodings()) out->set_trained_encoding(stage, encoding);
  return out;
}

void copy_stage(Network& out, const Stage& s) { out->add_stage(s.name, s.kind, copy_sequential(s.module)); }

size_t group_end(const Network& net, size_t i) {
  const std::string prefix = net->stage(i).name + "_";
  size_t j = i;
  while (j + 1 < net->size() && net->stage(j + 1).kind == "check" && net->stage(j + 1).name.rfind(prefix, 0) == 0) ++j;
  return j;
}

bool is_logits(const Network& net, size_t i) { return i + 1 == net->size() && net->num_classes() > 0; }

std::vector<bool> targets(const Network& net, const ProtectionSpec& spec, bool skip_last) {
  const Scheme* scheme = find_scheme(spec.scheme);
  const BlockReach reach = scheme ? scheme->block_reach() : BlockReach::None;
  std::vector<bool> on(net->size(), false);
  if (spec.layers.empty()) {
    for (size_t i = 0; i < net->size(); ++i) {
      const Stage& s = net->stage(i);
      const bool whole_block = s.kind == "block" && reach == BlockReach::Whole;
      on[i] = (is_layer(s) || whole_block) && !(skip_last && is_logits(net, i));
    }
    return on;
  }
  for (const auto& name : spec.layers) {
    // "<block>.<layer>" names a layer inside a residual block (protect/block_paths.h checks it).
    const size_t dot = name.find('.');
    const int i = net->stage_index(name.substr(0, dot));
    const bool inside = reach == BlockReach::Inside || reach == BlockReach::Own;
    if (i >= 0 && net->stage(i).kind == "block" && inside) continue;
    if (i < 0 || dot != std::string::npos) {
      std::string known;
      for (const auto& s : net->stages())
        if (s.kind != "check") known += (known.empty() ? "" : ", ") + s.name;
      throw ConfigError(spec.path + ".layers: no stage \"" + name + "\" in this model (stages: " + known + ")");
    }
    const Stage& s = net->stage(i);
    const bool allowed = is_layer(s) || (s.kind == "block" && reach == BlockReach::Whole) || spec.scheme == "tmr";
    if (s.kind == "check" || !allowed)
      throw ConfigError(spec.path + ".layers: stage \"" + name + "\" is a " + s.kind + " stage; " + spec.scheme +
                        " protects conv / linear stages" +
                        (reach == BlockReach::None ? "" : " and the layers inside residual blocks"));
    on[i] = true;
  }
  return on;
}

torch::Tensor first_images(const torch::Tensor& images, int64_t n, const ProtectionSpec& spec) {
  if (!images.defined() || images.size(0) == 0)
    throw ConfigError(spec.path + ": " + spec.scheme + " profiles the network on training data, but none was given");
  return images.narrow(0, 0, std::min(n, images.size(0)));
}

torch::nn::AnyModule leading_layer(const Stage& s, const ProtectionSpec& spec) {
  if (s.module->size() > 0) {
    const auto& m = s.module->begin()[0];
    if (dynamic_cast<QuantConv2dImpl*>(m.ptr().get()) || dynamic_cast<QuantLinearImpl*>(m.ptr().get())) return m;
  }
  throw ConfigError(spec.path + ": stage \"" + s.name + "\" does not start with a plain conv / linear layer (" +
                    spec.scheme + " must come before tmr, abft, saturate and scale in the protection list)");
}

namespace {

torch::Tensor expand_rows(const torch::Tensor& t, const torch::Tensor& dup, int copies) {
  std::vector<torch::Tensor> parts = {t};
  for (int c = 1; c < copies; ++c) parts.push_back(t.index_select(0, dup));
  return torch::cat(parts);
}

}  // namespace

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
        QuantConv2d e(conv2d_options(o).out_channels(o.out_channels() + extra), c->quant);
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
  out->to(module_device(*s.module));  // the widened layers were built on the CPU
  out->eval();
  return out;
}

}  // namespace faultscape
