// FAT Algorithm 1, fast. For every stuck value, selected layer and channel (pixel, element) the
// test set is evaluated with that fault. Three savings over the naive loop, all exact:
//  - prefix reuse: the golden output of the faulty layer is computed once per layer;
//  - delta evaluation (campaign/delta_plan.h): a stuck channel c changes only channel c of the next
//    linear layer's input (pooling, flattening, element-wise activations and batch norm act per
//    channel), so that layer's pre-activation is the cached golden one plus the layer applied to the
//    one-channel difference: Z' = Z + W[:, c] * (local(v) - local(x_c));
//  - fault batching: several fault instances are stacked along the batch dimension per pass.
#include <torch/torch.h>

#include <optional>

#include "campaign/campaign_loop.h"
#include "campaign/campaigns.h"
#include "campaign/delta_plan.h"
#include "campaign/statistics.h"
#include "common/error.h"
#include "faults/activation_faults.h"
#include "faults/rng.h"
#include "faults/sites.h"

namespace faultscape {
namespace {

struct Instance {
  int64_t trial = 0;
  int site = 0;                    // index into the activation sites (dataflow) / first site (loopback)
  std::vector<StuckFault> faults;  // one fault (dataflow) or one per layer (loopback)
  nlohmann::json params;
};

struct Tally {
  int64_t correct = 0, sdc = 0, critical = 0, nonfinite = 0;
  void add(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& golden) {
    torch::Tensor p = logits.argmax(1);
    correct += p.eq(labels).sum().item<int64_t>();
    sdc += p.ne(golden).sum().item<int64_t>();
    critical += (golden.eq(labels) & p.ne(labels)).sum().item<int64_t>();
    nonfinite += (~torch::isfinite(logits)).any(1).sum().item<int64_t>();
  }
  TrialMetrics metrics(int64_t n) const {
    return {100.0 * correct / n, 100.0 * sdc / n, 100.0 * critical / n, nonfinite};
  }
};

std::vector<Instance> enumerate(FaultyEvaluator& ev, const std::vector<ActivationSite>& sites, const FaultModel& f,
                                const CampaignConfig& cfg) {
  std::vector<Instance> out;
  int64_t trial = 0;
  auto values_of = [&](const ActivationSite& site) {
    double golden_max = site.levels.empty() ? ev.stage_input(site.stage + 1).max().item<double>() : 1.0;
    return stuck_values(f, site, golden_max);
  };
  if (f.mapping == "loopback") {
    // One faulty PE p computes channels c = p (mod P) of every layer: all of them are stuck at v.
    std::vector<double> values = values_of(sites.front());
    for (int p = 0; p < f.pe_count; ++p)
      for (double v : values) {
        Instance in{trial++, 0, {}, {{"pe", p}, {"value", v}}};
        for (const auto& site : sites) {
          int64_t channels = ev.stage_input(site.stage + 1).size(1);
          for (int64_t c = p; c < channels; c += f.pe_count) in.faults.push_back({site.stage, c, -1, -1, v});
        }
        out.push_back(std::move(in));
      }
    return out;
  }
  for (size_t si = 0; si < sites.size(); ++si) {
    const ActivationSite& site = sites[si];
    torch::Tensor x = ev.stage_input(site.stage + 1);
    const bool spatial = x.dim() == 4;
    if (f.granularity == "pixel" && !spatial) continue;  // a vector has no pixels
    const int64_t c = x.size(1), h = spatial ? x.size(2) : 1, w = spatial ? x.size(3) : 1;
    std::vector<std::array<int64_t, 3>> units;  // (channel, h, w) with -1 for "all"
    if (f.granularity == "channel") {
      for (int64_t k = 0; k < c; ++k) units.push_back({k, -1, -1});
    } else if (f.granularity == "pixel") {
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j) units.push_back({-1, i, j});
    } else {
      const int64_t total = c * h * w;
      std::vector<int64_t> idx(total);
      for (int64_t i = 0; i < total; ++i) idx[i] = i;
      if (f.samples > 0 && f.samples < total) {
        auto rng = trial_rng(cfg.seed, static_cast<uint64_t>(site.stage), 0xe1e);
        std::shuffle(idx.begin(), idx.end(), rng);
        idx.resize(f.samples);
        std::sort(idx.begin(), idx.end());
      }
      for (int64_t i : idx)
        units.push_back(spatial ? std::array<int64_t, 3>{i / (h * w), (i / w) % h, i % w}
                                : std::array<int64_t, 3>{i, -1, -1});
    }
    for (double v : values_of(site))
      for (const auto& u : units) {
        nlohmann::json params = {{"layer", site.name}, {"stage", site.stage}, {"value", v}};
        if (u[0] >= 0) params["channel"] = u[0];
        if (u[1] >= 0) params["pixel"] = {u[1], u[2]};
        out.push_back({trial++, static_cast<int>(si), {{site.stage, u[0], u[1], u[2], v}}, params});
      }
  }
  return out;
}

nlohmann::json summarize_layers(const std::vector<TrialRow>& rows, double golden) {
  std::map<int, std::vector<const TrialRow*>> by_stage;
  for (const auto& r : rows) by_stage[r.params.contains("stage") ? r.params["stage"].get<int>() : -1].push_back(&r);
  nlohmann::json layers = nlohmann::json::array();
  std::vector<double> all;
  for (const auto& [stage, list] : by_stage) {
    std::vector<double> acc;
    const TrialRow* worst = list.front();
    for (const TrialRow* r : list) {
      acc.push_back(r->accuracy);
      if (r->accuracy < worst->accuracy) worst = r;
    }
    all.insert(all.end(), acc.begin(), acc.end());
    SampleStats s = sample_stats(acc);
    layers.push_back({{"layer", worst->params.value("layer", "all")},
                      {"stage", stage},
                      {"faults", s.n},
                      {"min", s.min},
                      {"max", s.max},
                      {"mean", s.mean},
                      {"variance", s.variance},
                      {"worst", worst->params},
                      {"worst_drop", golden - s.min},
                      {"mean_drop", golden - s.mean}});
  }
  SampleStats s = sample_stats(all);
  return {{"layers", layers},
          {"min", s.min},
          {"max", s.max},
          {"mean", s.mean},
          {"variance", s.variance},
          {"worst_drop", golden - s.min},
          {"mean_drop", golden - s.mean}};
}

}  // namespace

nlohmann::json run_stuck_sweep(FaultyEvaluator& ev, const FaultModel& f, const CampaignConfig& cfg, CampaignIO& io) {
  if (f.target != "activations" || f.kind != "stuck_at")
    throw ConfigError("campaign.kind: a stuck_sweep needs faults.kind \"stuck_at\" on \"activations\"");
  torch::InferenceMode inference;
  int64_t full_macs = 0;
  for (int64_t m : ev.stage_macs()) full_macs += m;
  CampaignLoop loop(io, "stuck-sweep", 0, ev.images(), full_macs);
  Network& net = ev.net();
  std::vector<ActivationSite> sites = activation_sites(net, f);
  if (sites.empty()) throw ConfigError("faults.layers: no activation sites selected");
  std::vector<Instance> instances = enumerate(ev, sites, f, cfg);

  const int64_t n = ev.images(), chunk = std::min(ev.batch_size(), n);
  const int k_batch = cfg.fault_batch > 0 ? cfg.fault_batch : static_cast<int>(std::max<int64_t>(1, 2048 / chunk));
  const torch::Tensor& labels = ev.labels();
  const torch::Tensor& golden = ev.golden_predictions();
  const int64_t total = static_cast<int64_t>(instances.size());
  loop.set_total(total);

  auto record = [&](const Instance& in, const Tally& t) {
    TrialMetrics m = t.metrics(n);
    nlohmann::json metrics = m.to_json();
    metrics["drop"] = ev.golden_accuracy() - m.accuracy;
    io.recorder.add({in.trial, in.params, m.accuracy, metrics});
  };
  auto progress = [&](int64_t trials) { loop.advance(trials, std::to_string(loop.done() + trials) + " faults"); };

  // Pending work, grouped by site so each site's golden tensors are prepared once.
  std::vector<const Instance*> todo;
  for (const auto& in : instances)
    if (io.recorder.existing(in.trial))
      loop.resumed(1);
    else
      todo.push_back(&in);

  if (f.mapping == "loopback") {
    for (const Instance* in : todo) {
      int first = in->faults.front().stage;
      TrialMetrics m = ev.run_from(first, [&](int stage, torch::Tensor& out, int64_t) {
        for (const auto& sf : in->faults)
          if (sf.stage == stage) sf.apply(out);
      });
      nlohmann::json metrics = m.to_json();
      metrics["drop"] = ev.golden_accuracy() - m.accuracy;
      io.recorder.add({in->trial, in->params, m.accuracy, metrics});
      int64_t executed_macs = 0;
      for (int s = first; s < static_cast<int>(net->size()); ++s) executed_macs += ev.stage_macs()[s] * n;
      loop.evaluated(1, executed_macs);
      progress(1);
    }
  }

  nlohmann::json paths = nlohmann::json::object();  // per site: which evaluation ran, and why
  if (f.mapping == "loopback") paths["all"] = "prefix (a loopback fault hits channels of every layer)";
  for (size_t si = 0; si < sites.size() && f.mapping != "loopback"; ++si) {
    std::vector<const Instance*> mine;
    for (const Instance* in : todo)
      if (in->site == static_cast<int>(si)) mine.push_back(in);
    const int s = sites[si].stage;
    // A channel or element fault changes one channel: delta evaluation; a pixel fault all of them.
    DeltaPlan plan;
    if (f.granularity == "pixel")
      plan.reason = "a pixel fault hits every channel";
    else
      plan = plan_delta(net, s);
    paths[sites[si].name] = plan.valid ? "delta" : "prefix (" + plan.reason + ")";
    if (mine.empty()) continue;
    torch::Tensor x = ev.stage_input(s + 1);  // golden output of the faulty layer
    std::optional<ChannelDelta> delta;
    if (plan.valid) delta.emplace(net, plan, x, ev.stage_input(plan.target), chunk);
    int64_t macs = 0;  // per image and fault
    if (delta)
      macs = delta->macs_per_image(ev.stage_macs());
    else
      for (int t = s + 1; t < static_cast<int>(net->size()); ++t) macs += ev.stage_macs()[t];

    for (size_t b = 0; b < mine.size(); b += k_batch) {
      const size_t k = std::min<size_t>(k_batch, mine.size() - b);
      std::vector<Tally> tally(k);
      for (int64_t off = 0; off < n; off += chunk) {
        const int64_t len = std::min(chunk, n - off);
        std::vector<torch::Tensor> stacked;
        for (size_t j = 0; j < k; ++j) {
          const StuckFault& sf = mine[b + j]->faults.front();
          if (delta) {
            delta->add(j, k, sf, off, len);
          } else {
            torch::Tensor xf = x.narrow(0, off, len).clone();
            sf.apply(xf);
            stacked.push_back(xf);
          }
        }
        torch::Tensor logits = delta ? ev.forward_from(delta->target() + 1, delta->take_output(), off)
                                     : ev.forward_from(s + 1, torch::cat(stacked), off);
        for (size_t j = 0; j < k; ++j)
          tally[j].add(logits.narrow(0, j * len, len), labels.narrow(0, off, len), golden.narrow(0, off, len));
      }
      for (size_t j = 0; j < k; ++j) {
        record(*mine[b + j], tally[j]);
        loop.evaluated(1, macs * n);
      }
      progress(static_cast<int64_t>(k));
    }
  }
  io.recorder.flush();
  nlohmann::json summary = summarize_layers(io.recorder.all(), ev.golden_accuracy());
  summary["kind"] = "stuck_sweep";
  summary["granularity"] = f.granularity;
  summary["mapping"] = f.mapping;
  summary["golden_accuracy"] = ev.golden_accuracy();
  summary["images"] = n;
  summary["faults"] = total;
  loop.write_throughput(summary);
  summary["paths"] = paths;
  summary["pairing_key"] = pairing_key(f, cfg, net);
  return summary;
}

}  // namespace faultscape
