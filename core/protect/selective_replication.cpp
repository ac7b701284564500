#include "protect/selective_replication.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>

#include "faults/activation_faults.h"
#include "faults/sites.h"
#include "models/module_copy.h"
#include "protect/profile.h"
#include "protect/redundancy.h"
#include "protect/stage_tools.h"
#include "prune/stuck_ranking.h"

namespace faultscape {
namespace {

struct RankedChannel {
  double impact;
  size_t stage;
  int64_t channel;
};

// Stuck values of a stage's output by the stuck-at sweep's own rule (faults/activation_faults.h),
// so the ranking measures the faults a sweep injects: the spec's list, else the stage's quantizer
// levels, else (float activations) zero and the largest value seen on the profiling images.
std::vector<double> stuck_values_of(Network& net, size_t stage, const ProtectionSpec& spec,
                                    const torch::Tensor& profile) {
  FaultModel f;
  f.kind = "stuck_at";
  f.target = "activations";
  f.layers = {net->stage(stage).name};
  if (!spec.stuck_values.empty()) f.stuck_values = spec.stuck_values;
  const ActivationSite site = activation_sites(net, f).front();
  const bool need_max = spec.stuck_values.empty() && site.levels.empty();
  const double top = need_max ? profile_stage_outputs(net, static_cast<int>(stage), profile).max().item<double>() : 0;
  return stuck_values(f, site, top);
}

// Every channel of the selected layers with its impact, most critical first (ties: network order).
std::vector<RankedChannel> rank_channels(Network& net, const std::vector<bool>& on, const ProtectionSpec& spec,
                                         const torch::Tensor& profile, nlohmann::json& ranking) {
  Dataset agreement;  // labels = fault-free predictions: a "drop" is a share of changed predictions
  agreement.images = profile;
  {
    torch::InferenceMode guard;
    agreement.labels = profile_stage_outputs(net, static_cast<int>(net->size()) - 1, profile).argmax(1);
  }
  std::vector<RankedChannel> all;
  for (size_t i = 0; i < net->size(); ++i) {
    if (!on[i]) continue;
    std::vector<double> values = stuck_values_of(net, i, spec, profile);
    ChannelScores scores =
        measured_stuck_drop(net, agreement, {static_cast<int>(i)}, values, profile.size(0)).front();
    for (size_t c = 0; c < scores.score.size(); ++c) all.push_back({scores.score[c], i, static_cast<int64_t>(c)});
    ranking.push_back({{"layer", net->stage(i).name}, {"stuck_values", values}, {"impact", scores.score}});
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.impact > b.impact; });
  return all;
}

// A design-space sweep over k protects the same network many times: its ranking is measured once.
// Keyed by the network's identity and a checksum of its parameters, the layers, values and images.
std::string ranking_key(Network& net, const std::vector<bool>& on, const ProtectionSpec& spec,
                        const torch::Tensor& profile) {
  torch::NoGradGuard no_grad;
  double checksum = 0;
  for (const auto& p : net->parameters()) checksum += p.to(torch::kDouble).abs().sum().item<double>();
  std::string key = std::to_string(reinterpret_cast<uintptr_t>(net.get())) + "/" + std::to_string(checksum) + "/" +
                    std::to_string(profile.size(0)) + "/" + std::to_string(profile.sum().item<double>()) + "/";
  for (bool b : on) key += b ? '1' : '0';
  for (double v : spec.stuck_values) key += "/" + std::to_string(v);
  return key;
}

struct CachedRanking {
  std::string key;
  std::vector<RankedChannel> ranked;
  nlohmann::json ranking;  // per selected layer: its stuck values and every channel's impact
};

}  // namespace

Network apply_selective_replication(const Network& net, const ProtectionSpec& spec, const torch::Tensor& images,
                                    nlohmann::json& details) {
  std::vector<bool> on = targets(net, spec, false);
  Network src = net;
  torch::Tensor profile = first_images(images, spec.profile_images, spec);
  static std::mutex cache_mutex;
  static CachedRanking cache;  // the last ranking measured
  std::vector<RankedChannel> ranked;
  nlohmann::json ranking = nlohmann::json::array();
  const std::string key = ranking_key(src, on, spec, profile);
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    if (cache.key == key) ranked = cache.ranked, ranking = cache.ranking;
  }
  if (ranked.empty()) {
    ranked = rank_channels(src, on, spec, profile, ranking);
    std::lock_guard<std::mutex> lock(cache_mutex);
    cache = {key, ranked, ranking};
  }
  const size_t k = std::min<size_t>(static_cast<size_t>(spec.k), ranked.size());
  std::vector<std::vector<int64_t>> chosen(net->size());
  for (size_t r = 0; r < k; ++r) chosen[ranked[r].stage].push_back(ranked[r].channel);

  Network out = empty_like(net);
  nlohmann::json layers = nlohmann::json::array();
  const float inf = std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < net->size(); ++i) {
    const Stage& s = net->stage(i);
    if (chosen[i].empty()) {
      out->add_stage(s.name, s.kind, copy_sequential(s.module));
      continue;
    }
    std::sort(chosen[i].begin(), chosen[i].end());
    torch::Tensor dup = torch::tensor(chosen[i], torch::kLong);
    int64_t channels = 0;  // the layer's channel count, as ranked
    for (const auto& r : ranking)
      if (r["layer"] == s.name) channels = static_cast<int64_t>(r["impact"].size());
    // An EDAC layer without intervals and with three copies is exactly a voter on those channels.
    torch::Tensor lo = torch::full({channels}, -inf), hi = torch::full({channels}, inf);
    out->add_stage(s.name, s.kind, expand_stage(s, dup, 3, spec));
    out->add_stage(s.name + "_vote", "check", torch::nn::Sequential(Edac(dup, lo, hi, 3, /*zero_outside=*/false)));
    layers.push_back({{"layer", s.name}, {"channels", channels}, {"triplicated", chosen[i]}});
  }
  details["layers"] = layers;
  details["triplicated"] = k;
  details["ranking"] = ranking;
  return out;
}

}  // namespace faultscape
