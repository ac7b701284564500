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
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "faults/activation_faults.h"
#include "faults/sites.h"
#include "models/module_copy.h"
#include "models/path_block.h"
#include "protect/block_paths.h"
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

// A conv / linear stage the ranking covers: stage `stage` of `path`, which is the network itself
// (path_index -1; block = stage) or the main path (0) / shortcut (1) of the residual block at
// stage `block` of the network.
struct Location {
  size_t block;
  int path_index;
  Network path;
  size_t stage;
  std::string name;  // "conv1", or "block2_0.conv1" inside a block
};

struct RankedChannel {
  double impact;
  size_t location;
  int64_t channel;
};

// Stuck values of a stage's output by the stuck-at sweep's own rule (faults/activation_faults.h),
// so the ranking measures the faults a sweep injects: the spec's list, else the stage's quantizer
// levels, else (float activations) zero and the largest value seen on the profiling images (the
// path's inputs for a stage inside a residual block).
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

// The layers the spec selects, in network order: conv / linear stages, and those inside blocks.
std::vector<Location> locations(Network& whole, const std::vector<bool>& on, const std::set<std::string>& blocks,
                                const ProtectionSpec& spec) {
  std::vector<Location> out;
  for (size_t i = 0; i < whole->size(); ++i) {
    const Stage& s = whole->stage(i);
    if (on[i]) out.push_back({i, -1, whole, i, s.name});
    if (!blocks.count(s.name)) continue;
    auto* b = s.module->begin()[0].ptr()->as<PathBlockImpl>();
    for (int p = 0; p < 2; ++p) {
      Network path = p == 0 ? b->main : b->shortcut;
      if (!path) continue;
      for (const auto& name : selected_path_layers(spec, s.name, path))
        out.push_back({i, p, path, static_cast<size_t>(path->stage_index(name)), s.name + "." + name});
    }
  }
  return out;
}

// Worst share (%) of images whose prediction changes when one channel of a stage inside a block is
// stuck at one of `values`: the block's other path and the rest of the network run as they are.
std::vector<double> block_stuck_drop(Network& whole, const Location& l, const std::vector<double>& values,
                                     const torch::Tensor& block_input, const torch::Tensor& golden) {
  torch::InferenceMode guard;
  auto* b = whole->stage(l.block).module->begin()[0].ptr()->as<PathBlockImpl>();
  Network path = l.path;
  std::vector<double> worst;
  std::vector<std::vector<int64_t>> changed;
  const int64_t n = block_input.size(0), chunk = 500;
  for (int64_t off = 0; off < n; off += chunk) {
    const torch::Tensor in = block_input.narrow(0, off, std::min(chunk, n - off));
    const torch::Tensor labels = golden.narrow(0, off, in.size(0));
    const torch::Tensor site = path->forward_range(in, 0, l.stage + 1);
    const torch::Tensor other =
        l.path_index == 1 ? b->main->forward(in) : (b->shortcut ? b->shortcut->forward(in) : in);
    if (changed.empty()) changed.assign(site.size(1), std::vector<int64_t>(values.size(), 0));
    for (int64_t c = 0; c < site.size(1); ++c)
      for (size_t v = 0; v < values.size(); ++v) {
        torch::Tensor faulty = site.clone();
        faulty.select(1, c).fill_(values[v]);
        torch::Tensor y = b->act->forward(path->forward_range(faulty, l.stage + 1, path->size()) + other);
        y = whole->forward_range(y, l.block + 1, whole->size());
        changed[c][v] += y.argmax(1).ne(labels).sum().item<int64_t>();
      }
  }
  for (const auto& per_value : changed)
    worst.push_back(100.0 * static_cast<double>(*std::max_element(per_value.begin(), per_value.end())) /
                    static_cast<double>(std::max<int64_t>(n, 1)));
  return worst;
}

// Every channel of the selected layers with its impact, most critical first (ties: network order).
std::vector<RankedChannel> rank_channels(Network& net, const std::vector<Location>& where, const ProtectionSpec& spec,
                                         const torch::Tensor& profile, nlohmann::json& ranking) {
  Dataset agreement;  // labels = fault-free predictions: a "drop" is a share of changed predictions
  agreement.images = profile;
  {
    torch::InferenceMode guard;
    agreement.labels = profile_stage_outputs(net, static_cast<int>(net->size()) - 1, profile).argmax(1);
  }
  std::vector<RankedChannel> all;
  for (size_t w = 0; w < where.size(); ++w) {
    const Location& l = where[w];
    std::vector<double> values, score;
    if (l.path_index < 0) {
      values = stuck_values_of(net, l.stage, spec, profile);
      score = measured_stuck_drop(net, agreement, {static_cast<int>(l.stage)}, values, profile.size(0)).front().score;
    } else {
      const torch::Tensor in = profile_stage_inputs(net, static_cast<int>(l.block), profile);
      Network path = l.path;
      values = stuck_values_of(path, l.stage, spec, in);
      score = block_stuck_drop(net, l, values, in, agreement.labels);
    }
    for (size_t c = 0; c < score.size(); ++c) all.push_back({score[c], w, static_cast<int64_t>(c)});
    ranking.push_back({{"layer", l.name}, {"stuck_values", values}, {"impact", score}});
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.impact > b.impact; });
  return all;
}

// A design-space sweep over k protects the same network many times: its ranking is measured once.
// Keyed by the network's identity and a checksum of its parameters, the layers, values and images.
std::string ranking_key(const Network& net, const std::vector<Location>& where, const ProtectionSpec& spec,
                        const torch::Tensor& profile) {
  torch::NoGradGuard no_grad;
  double checksum = 0;
  for (const auto& p : net->parameters()) checksum += p.to(torch::kDouble).abs().sum().item<double>();
  std::string key = std::to_string(reinterpret_cast<uintptr_t>(net.get())) + "/" + std::to_string(checksum) + "/" +
                    std::to_string(profile.size(0)) + "/" + std::to_string(profile.sum().item<double>()) + "/";
  for (const auto& l : where) key += l.name + ",";
  for (double v : params_of<ReplicateParams>(spec).stuck_values) key += "/" + std::to_string(v);
  return key;
}

struct CachedRanking {
  std::string key;
  std::vector<RankedChannel> ranked;
  nlohmann::json ranking;  // per selected layer: its stuck values and every channel's impact
};

// Stage s with channels `chosen` triplicated, then "<name>_vote" (an EDAC layer without intervals
// and with three copies is exactly a voter on those channels); inputs: the stage's profiled inputs.
void add_triplicated(Network& out, const Stage& s, std::vector<int64_t> chosen, const torch::Tensor& inputs,
                     const ProtectionSpec& spec, const std::string& name, nlohmann::json& layers) {
  std::sort(chosen.begin(), chosen.end());
  torch::Tensor agreement = rounding_tolerance(s.module, inputs);  // copies within rounding agree
  torch::Tensor dup = torch::tensor(chosen, torch::kLong).to(agreement.device());
  const int64_t channels = agreement.size(0);
  const float inf = std::numeric_limits<float>::infinity();
  torch::Tensor lo = torch::full({channels}, -inf, agreement.options().dtype(torch::kFloat)),
                hi = torch::full({channels}, inf, agreement.options().dtype(torch::kFloat));
  out->add_stage(s.name, s.kind, expand_stage(s, dup, 3, spec));
  out->add_stage(s.name + "_vote", "check",
                 torch::nn::Sequential(Edac(dup, lo, hi, 3, /*zero_outside=*/false, agreement)));
  layers.push_back({{"layer", name}, {"channels", channels}, {"triplicated", chosen}});
}

// A path of a block with its chosen stages triplicated.
Network replicate_path(const Network& path, const std::map<size_t, std::vector<int64_t>>& chosen,
                       const torch::Tensor& block_input, const ProtectionSpec& spec, const std::string& block,
                       nlohmann::json& layers) {
  Network src = path, out = empty_like(path);
  for (size_t j = 0; j < path->size(); ++j) {
    const Stage& s = path->stage(j);
    auto it = chosen.find(j);
    if (it == chosen.end()) {
      copy_stage(out, s);
      continue;
    }
    add_triplicated(out, s, it->second, profile_stage_inputs(src, static_cast<int>(j), block_input), spec,
                    block + "." + s.name, layers);
  }
  out->eval();
  return out;
}

Network apply_selective_replication(const Network& net, const ProtectionSpec& spec, const torch::Tensor& images,
                                    nlohmann::json& details) {
  check_block_layer_names(net, spec);
  std::set<std::string> blocks;
  Network src = with_path_blocks(net, spec, blocks);
  std::vector<bool> on = targets(src, spec, false);
  std::vector<Location> where = locations(src, on, blocks, spec);
  torch::Tensor profile = first_images(images, spec.profile_images, spec);
  static std::mutex cache_mutex;
  static CachedRanking cache;  // the last ranking measured
  std::vector<RankedChannel> ranked;
  nlohmann::json ranking = nlohmann::json::array();
  const std::string key = ranking_key(net, where, spec, profile);
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    if (cache.key == key) ranked = cache.ranked, ranking = cache.ranking;
  }
  if (ranked.empty()) {
    ranked = rank_channels(src, where, spec, profile, ranking);
    std::lock_guard<std::mutex> lock(cache_mutex);
    cache = {key, ranked, ranking};
  }
  const size_t k = std::min<size_t>(static_cast<size_t>(params_of<ReplicateParams>(spec).k), ranked.size());
  std::vector<std::vector<int64_t>> chosen(where.size());
  for (size_t r = 0; r < k; ++r) chosen[ranked[r].location].push_back(ranked[r].channel);

  Network out = empty_like(src);
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < src->size(); ++i) {
    const Stage& s = src->stage(i);
    std::vector<int64_t> here;
    std::map<size_t, std::vector<int64_t>> inside[2];
    for (size_t w = 0; w < where.size(); ++w) {
      if (where[w].block != i || chosen[w].empty()) continue;
      if (where[w].path_index < 0)
        here = chosen[w];
      else
        inside[where[w].path_index][where[w].stage] = chosen[w];
    }
    if (!here.empty()) {
      add_triplicated(out, s, here, profile_stage_inputs(src, static_cast<int>(i), profile), spec, s.name, layers);
    } else if (!inside[0].empty() || !inside[1].empty()) {
      auto* b = s.module->begin()[0].ptr()->as<PathBlockImpl>();
      const torch::Tensor in = profile_stage_inputs(src, static_cast<int>(i), profile);
      Network main = replicate_path(b->main, inside[0], in, spec, s.name, layers);
      Network shortcut =
          b->shortcut ? replicate_path(b->shortcut, inside[1], in, spec, s.name, layers) : Network(nullptr);
      out->add_stage(s.name, s.kind, torch::nn::Sequential(PathBlock(main, shortcut, copy_sequential(b->act))));
    } else {
      copy_stage(out, s);
    }
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

  BlockReach block_reach() const override { return BlockReach::Own; }

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
