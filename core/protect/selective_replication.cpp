// Selective channel replication (FAT paper, section V-C): channels are ranked by their measured
// stuck-at impact, and the k most critical ones over all selected layers are triplicated, with a
// voter after each layer that has triplicated channels. Sweeping k gives the worst-case error vs
// hardware cost front of FAT Fig. 9.
// Impact of a channel = the largest share (in %) of the profiling images whose predicted class
// changes from the fault-free prediction when the channel's whole output map is stuck at one of
// the stuck values (stuck_values, or "auto": the activation quantizer's levels; for float
// activations {0, the largest profiled output}). Labels are not needed: a changed prediction is
// what a stuck PE does to the classifier.
#include <nlohmann/json.hpp>

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
#include "protect/scheme.h"
#include "protect/stage_tools.h"
#include "prune/stuck_ranking.h"

namespace faultscape {
namespace {

const char* const kPaper = "FAT paper, Zahid et al.";

struct ReplicateParams : SchemeParams {
  int64_t k = 0;                     // channels triplicated over all selected layers
  std::vector<double> stuck_values;  // values of the stuck-at ranking; empty = auto
};

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
  const auto& values = params_of<ReplicateParams>(spec).stuck_values;
  if (!values.empty()) f.stuck_values = values;
  const ActivationSite site = activation_sites(net, f).front();
  const bool need_max = values.empty() && site.levels.empty();
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
    ChannelScores scores = measured_stuck_drop(net, agreement, {static_cast<int>(i)}, values, profile.size(0)).front();
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
  for (double v : params_of<ReplicateParams>(spec).stuck_values) key += "/" + std::to_string(v);
  return key;
}

struct CachedRanking {
  std::string key;
  std::vector<RankedChannel> ranked;
  nlohmann::json ranking;  // per selected layer: its stuck values and every channel's impact
};

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
  const size_t k = std::min<size_t>(static_cast<size_t>(params_of<ReplicateParams>(spec).k), ranked.size());
  std::vector<std::vector<int64_t>> chosen(net->size());
  for (size_t r = 0; r < k; ++r) chosen[ranked[r].stage].push_back(ranked[r].channel);

  Network out = empty_like(net);
  nlohmann::json layers = nlohmann::json::array();
  const float inf = std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < net->size(); ++i) {
    const Stage& s = net->stage(i);
    if (chosen[i].empty()) {
      copy_stage(out, s);
      continue;
    }
    std::sort(chosen[i].begin(), chosen[i].end());
    torch::Tensor dup = torch::tensor(chosen[i], torch::kLong);
    int64_t channels = 0;  // the layer's channel count, as ranked
    for (const auto& r : ranking)
      if (r["layer"] == s.name) channels = static_cast<int64_t>(r["impact"].size());
    // An EDAC layer without intervals and with three copies is exactly a voter on those channels.
    torch::Tensor lo = torch::full({channels}, -inf), hi = torch::full({channels}, inf);
    // Copies within rounding of each other agree (they come from one widened layer).
    torch::Tensor agreement = rounding_tolerance(s.module, profile_stage_inputs(src, static_cast<int>(i), profile));
    out->add_stage(s.name, s.kind, expand_stage(s, dup, 3, spec));
    out->add_stage(s.name + "_vote", "check",
                   torch::nn::Sequential(Edac(dup, lo, hi, 3, /*zero_outside=*/false, agreement)));
    layers.push_back({{"layer", s.name}, {"channels", channels}, {"triplicated", chosen[i]}});
  }
  details["layers"] = layers;
  details["triplicated"] = k;
  details["ranking"] = ranking;
  return out;
}

// "auto" (or absent) = the quantizer's levels; else a list of numbers.
void read_stuck_values(Reader& r, std::vector<double>& out) {
  nlohmann::json v;
  r.get_raw("stuck_values", v);
  if (v.is_null()) return;
  if (v.is_string() && v.get<std::string>() == "auto") return;
  if (v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), [](const auto& x) { return x.is_number(); })) {
    for (const auto& x : v) out.push_back(x.get<double>());
    return;
  }
  r.problem("stuck_values", "expected \"auto\" or a non-empty list of numbers, got " + describe_value(v));
}

class ReplicateScheme : public Scheme {
 public:
  const SchemeInfo& info() const override {
    static const SchemeInfo i{
        "replicate",
        "Selective replication (FAT)",
        std::string("Triplicates the k channels whose stuck-at faults change the most predictions, with a voter after "
                    "each such layer (") +
            kPaper + ", sec. V-C)",
        {{"k",
          "Channels (k)",
          FieldSchema::Type::Int,
          std::string("How many channels, over all selected layers, are triplicated, most critical first; sweep it "
                      "for the cost front of ") +
              kPaper + " Fig. 9",
          0,
          {},
          0},
         {"stuck_values", "Stuck values", FieldSchema::Type::List,
          std::string("Values of the stuck-at ranking: auto = the activation quantizer's levels (float: 0 and the "
                      "largest output); or a list of numbers (") +
              kPaper + ")",
          "auto"},
         profile_images_field("Ranking images", std::string("Training images used to measure each channel's "
                                                            "stuck-at impact (") +
                                                    kPaper + ")"),
         layers_field("every conv / linear stage", kPaper)}};
    return i;
  }

  void read(Reader& r, ProtectionSpec& spec) const override {
    ReplicateParams& p = new_params<ReplicateParams>(spec);
    r.get_int("k", p.k, 0);
    read_stuck_values(r, p.stuck_values);
    r.get_int("profile_images", spec.profile_images, 1);
  }

  void write(const ProtectionSpec& spec, nlohmann::json& out) const override {
    const auto& p = params_of<ReplicateParams>(spec);
    out.update({{"k", p.k}, {"profile_images", spec.profile_images}});
    out["stuck_values"] = p.stuck_values.empty() ? nlohmann::json("auto") : nlohmann::json(p.stuck_values);
  }

  BlockReach block_reach() const override { return BlockReach::None; }

  Network apply(const Network& net, const ProtectionSpec& spec, const ProfileData& data,
                nlohmann::json& details) const override {
    return apply_selective_replication(net, spec, data.images, details);
  }
};

}  // namespace

const Scheme& replicate_scheme() {
  static const ReplicateScheme scheme;
  return scheme;
}

}  // namespace faultscape
