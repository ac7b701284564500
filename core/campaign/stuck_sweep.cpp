// FAT Algorithm 1, fast. For every stuck value, selected layer and channel (pixel, element) the
// test set is evaluated with that fault. Three savings over the naive loop, all exact:
//  - prefix reuse: the golden output of the faulty layer is computed once per layer;
//  - delta evaluation: a stuck channel c changes only channel c of the next linear layer's input
//    (pooling and flattening act per channel), so that layer's pre-activation is the cached golden
//    one plus the layer applied to the one-channel difference: Z' = Z + W[:, c] * (local(v) - local(x_c));
//  - fault batching: several fault instances are stacked along the batch dimension per pass.
#include <torch/torch.h>

#include "campaign/campaign_loop.h"
#include "campaign/campaigns.h"
#include "campaign/statistics.h"
#include "common/error.h"
#include "faults/activation_faults.h"
#include "faults/rng.h"
#include "faults/sites.h"
#include "quant/quant_layers.h"

namespace faultscape {
namespace {

using torch::indexing::Slice;

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

// How the stages after a site let a one-channel change through to the next linear layer.
struct DeltaPlan {
  bool valid = false;
  std::vector<int> local;  // channel-wise stages (pooling, flattening) between site and target
  int target = -1;         // the stage whose first module is the linear layer
  QuantConv2dImpl* conv = nullptr;
  QuantLinearImpl* linear = nullptr;
};

bool channel_local(const Stage& st) {
  for (const auto& m : st.module->children()) {
    auto* p = m.get();
    if (!dynamic_cast<torch::nn::MaxPool2dImpl*>(p) && !dynamic_cast<torch::nn::AvgPool2dImpl*>(p) &&
        !dynamic_cast<torch::nn::AdaptiveAvgPool2dImpl*>(p) && !dynamic_cast<torch::nn::FlattenImpl*>(p))
      return false;
  }
  return true;
}

DeltaPlan plan_delta(Network& net, int site_stage) {
  DeltaPlan plan;
  int s = site_stage + 1;
  for (; s < static_cast<int>(net->size()) && channel_local(net->stage(s)); ++s) plan.local.push_back(s);
  if (s >= static_cast<int>(net->size())) return plan;
  auto first = net->stage(s).module->children();
  if (first.empty()) return plan;
  plan.conv = dynamic_cast<QuantConv2dImpl*>(first[0].get());
  plan.linear = dynamic_cast<QuantLinearImpl*>(first[0].get());
  plan.target = s;
  plan.valid = plan.linear || (plan.conv && plan.conv->conv->options.groups() == 1);
  return plan;
}

// Runs modules [1, end) of a stage: what follows its linear layer (batch norm, activation).
torch::Tensor rest_of_stage(torch::nn::Sequential seq, torch::Tensor z) {
  auto it = seq->begin();
  for (++it; it != seq->end(); ++it) z = it->forward<torch::Tensor>(z);
  return z;
}

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

  for (size_t si = 0; si < sites.size() && f.mapping != "loopback"; ++si) {
    std::vector<const Instance*> mine;
    for (const Instance* in : todo)
      if (in->site == static_cast<int>(si)) mine.push_back(in);
    if (mine.empty()) continue;
    const int s = sites[si].stage;
    torch::Tensor x = ev.stage_input(s + 1);  // golden output of the faulty layer
    DeltaPlan plan = f.granularity == "channel" ? plan_delta(net, s) : DeltaPlan{};
    torch::Tensor local_golden, z_golden, weight;
    int64_t per_channel = 1;
    if (plan.valid) {
      local_golden = ev.stage_input(plan.target);  // the linear layer's golden input
      std::vector<torch::Tensor> z;
      for (int64_t off = 0; off < n; off += chunk) {
        torch::Tensor in = local_golden.narrow(0, off, std::min(chunk, n - off));
        z.push_back(plan.conv ? plan.conv->forward(in) : plan.linear->forward(in));
      }
      z_golden = torch::cat(z);
      weight = plan.conv ? plan.conv->effective_weight() : plan.linear->effective_weight();
      if (plan.linear) per_channel = local_golden.size(1) / x.size(1);
    }
    const Stage* target = plan.valid ? &net->stage(plan.target) : nullptr;
    int64_t target_in_channels = plan.valid ? (plan.conv ? weight.size(1) : x.size(1)) : 1;

    for (size_t b = 0; b < mine.size(); b += k_batch) {
      const size_t k = std::min<size_t>(k_batch, mine.size() - b);
      std::vector<Tally> tally(k);
      for (int64_t off = 0; off < n; off += chunk) {
        const int64_t len = std::min(chunk, n - off);
        std::vector<torch::Tensor> stacked;
        for (size_t j = 0; j < k; ++j) {
          const StuckFault& sf = mine[b + j]->faults.front();
          if (plan.valid) {
            torch::Tensor xc = x.narrow(0, off, len).narrow(1, sf.channel, 1);
            torch::Tensor faulty = torch::full_like(xc, sf.value), golden_local = xc;
            for (int ls : plan.local) {
              faulty = net->forward_range(faulty, ls, ls + 1);
              golden_local = net->forward_range(golden_local, ls, ls + 1);
            }
            torch::Tensor d = faulty - golden_local;
            torch::Tensor z = z_golden.narrow(0, off, len);
            if (plan.conv) {
              const auto& o = plan.conv->conv->options;
              z = z + torch::conv2d(d, weight.narrow(1, sf.channel, 1), {}, o.stride(),
                                    c10::get<torch::ExpandingArray<2>>(o.padding()), o.dilation(), 1);
            } else {
              z = z + d.reshape({len, -1}).matmul(weight.narrow(1, sf.channel * per_channel, per_channel).t());
            }
            stacked.push_back(z);
          } else {
            torch::Tensor xf = x.narrow(0, off, len).clone();
            sf.apply(xf);
            stacked.push_back(xf);
          }
        }
        torch::Tensor batch = torch::cat(stacked);
        torch::Tensor logits = plan.valid ? ev.forward_from(plan.target + 1, rest_of_stage(target->module, batch), off)
                                          : ev.forward_from(s + 1, batch, off);
        for (size_t j = 0; j < k; ++j)
          tally[j].add(logits.narrow(0, j * len, len), labels.narrow(0, off, len), golden.narrow(0, off, len));
      }
      for (size_t j = 0; j < k; ++j) {
        record(*mine[b + j], tally[j]);
        int64_t macs = 0;
        if (plan.valid) {
          macs = ev.stage_macs()[plan.target] / std::max<int64_t>(1, target_in_channels);
          for (int t = plan.target + 1; t < static_cast<int>(net->size()); ++t) macs += ev.stage_macs()[t];
        } else {
          for (int t = s + 1; t < static_cast<int>(net->size()); ++t) macs += ev.stage_macs()[t];
        }
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
  summary["pairing_key"] = pairing_key(f, cfg, net);
  return summary;
}

}  // namespace faultscape
