#include "protect/schemes.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "protect/abft.h"
#include "models/module_copy.h"
#include "protect/profile.h"
#include "protect/qbound.h"
#include "protect/range_restrict.h"
#include "protect/redundancy.h"
#include "protect/selective_replication.h"
#include "protect/stage_tools.h"
#include "models/stored_weight.h"
#include "quant/quant_layers.h"
#include "quant/quantizer.h"
#include "train/subnetwork.h"

namespace faultscape {
namespace {

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

// A sub-network (paper 003): the named stages, e.g. a layer flagged faulty, are removed.
Network apply_bypass(const Network& net, const ProtectionSpec& spec, nlohmann::json& details) {
  Network src = net;
  std::vector<int> gone = bypassable_stages(src, spec.layers, spec.path + ".layers");
  Network out = empty_like(net);
  for (size_t i = 0; i < net->size(); ++i)
    if (std::find(gone.begin(), gone.end(), static_cast<int>(i)) == gone.end())
      out->add_stage(net->stage(i).name, net->stage(i).kind, copy_sequential(net->stage(i).module));
  details["removed"] = spec.layers;
  return out;
}

}  // namespace

Network apply_scheme(const Network& net, const ProtectionSpec& spec, const torch::Tensor& images,
                     const torch::Tensor& labels, nlohmann::json& details) {
  details = spec.to_json();
  Network out{nullptr};
  if (spec.scheme == "tmr") out = apply_tmr(net, spec, details);
  else if (spec.scheme == "edac") out = apply_edac(net, spec, images, details);
  else if (spec.scheme == "ranger" || spec.scheme == "clipact") out = apply_range(net, spec, images, details);
  else if (spec.scheme == "bypass") out = apply_bypass(net, spec, details);
  else if (spec.scheme == "replicate") out = apply_selective_replication(net, spec, images, details);
  else if (spec.scheme == "qbound") out = apply_qbound(net, spec, images, labels, details);
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
                         const torch::Tensor& images, const torch::Tensor& labels, nlohmann::json& details) {
  details = nlohmann::json::array();
  Network current = net;
  for (const auto& spec : specs) {
    nlohmann::json d;
    current = apply_scheme(current, spec, images, labels, d);
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
