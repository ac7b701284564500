// FAT Algorithm 1, fast. For every stuck value, selected layer and channel (pixel, element) the
// test set is evaluated with that fault. Three savings over the naive loop, all exact:
//  - prefix reuse: the golden output of the faulty layer is computed once per layer;
//  - delta evaluation (campaign/delta_plan.h): a stuck channel c changes only channel c of the next
//    linear layer's input (pooling, flattening, element-wise activations and batch norm act per
//    channel), so that layer's pre-activation is the cached golden one plus the layer applied to the
//    one-channel difference: Z' = Z + W[:, c] * (local(v) - local(x_c));
//  - fault batching: several fault instances are stacked along the batch dimension per pass.
#include <torch/torch.h>

#include <algorithm>
#include <optional>

#include "campaign/campaign_loop.h"
#include "campaign/campaigns.h"
#include "campaign/channel_delta.h"
#include "campaign/delta_plan.h"
#include "campaign/schedules.h"
#include "campaign/summaries.h"
#include "common/error.h"
#include "faults/activation_faults.h"
#include "faults/rng.h"
#include "faults/sites.h"
#include "runtime/device.h"

namespace faultscape {
namespace {

struct Instance {
  int64_t trial = 0;
  int site = 0;                    // index into the activation sites (dataflow) / first site (loopback)
  int64_t unit = 0;                // the channel (pixel, element) of the site, whatever the value
  std::vector<StuckFault> faults;  // one fault (dataflow) or one per layer (loopback)
  nlohmann::json params;
};

// The counts of k fault instances stacked along the batch dimension, summed over image chunks
// where the logits are (a GPU sends them to the host once per chunk of faults, not per image batch).
struct Tally {
  torch::Tensor counts;  // [4, k]: correct, SDC, critical SDC, non-finite
  void add(const torch::Tensor& logits, int64_t k, const torch::Tensor& labels, const torch::Tensor& golden) {
    const int64_t len = labels.size(0);
    torch::Tensor l = logits.view({k, len, -1});
    torch::Tensor p = l.argmax(2), y = labels.view({1, len}), g = golden.view({1, len});
    torch::Tensor c =
        torch::stack({p.eq(y).sum(1), p.ne(g).sum(1), (g.eq(y) & p.ne(y)).sum(1), (~torch::isfinite(l)).any(2).sum(1)});
    counts = counts.defined() ? counts + c : c;
  }
  std::vector<TrialMetrics> metrics(int64_t n) const {
    torch::Tensor c = counts.cpu().contiguous();
    auto a = c.accessor<int64_t, 2>();
    std::vector<TrialMetrics> out;
    for (int64_t j = 0; j < c.size(1); ++j)
      out.push_back({100.0 * a[0][j] / n, 100.0 * a[1][j] / n, 100.0 * a[2][j] / n, a[3][j]});
    return out;
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
        Instance in{trial++, 0, 0, {}, {{"pe", p}, {"value", v}}};
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
      for (size_t ui = 0; ui < units.size(); ++ui) {
        const auto& u = units[ui];
        nlohmann::json params = {{"layer", site.name}, {"stage", site.stage}, {"value", v}};
        if (u[0] >= 0) params["channel"] = u[0];
        if (u[1] >= 0) params["pixel"] = {u[1], u[2]};
        out.push_back(
            {trial++, static_cast<int>(si), static_cast<int64_t>(ui), {{site.stage, u[0], u[1], u[2], v}}, params});
      }
  }
  return out;
}

// Fault instances stacked per pass when the project leaves it open: about 2048 images per pass on
// the CPU (larger passes gain nothing there); on a GPU as many as a quarter of its free memory holds,
// counting three live copies of the widest stage output per image (input, output, a temporary).
int default_fault_batch(const FaultyEvaluator& ev, int64_t chunk) {
  const int64_t free = free_device_memory(ev.labels().device());
  if (free <= 0) return static_cast<int>(std::max<int64_t>(1, 2048 / chunk));
  int64_t widest = 1;
  for (int64_t n : ev.output_numel()) widest = std::max(widest, n);
  const int64_t per_instance = 3 * widest * 4 * chunk;
  return static_cast<int>(std::clamp<int64_t>(free / 4 / per_instance, 1, 256));
}

// The max pooling stage that follows the target's linear layer and a ReLU, either in the target
// stage ([conv, ReLU]) or a stage of its own ([conv] then [ReLU], as imported); -1 if none.
int pool_after_relu(const FaultyEvaluator& ev, Network& net, int t) {
  const size_t modules = net->stage(t).module->size();
  if (modules == 2 && ev.pools_before_relu(t)) return t + 1;
  if (modules == 1 && t + 1 < static_cast<int>(net->size()) && net->stage(t + 1).module->size() == 1 &&
      ev.pools_before_relu(t + 1))
    return t + 2;
  return -1;
}

}  // namespace

nlohmann::json run_stuck_sweep(FaultyEvaluator& ev, const FaultModel& f, const CampaignConfig& cfg, CampaignIO& io) {
  if (f.target != "activations" || f.kind != "stuck_at")
    throw ConfigError("campaign.kind: a stuck_sweep needs faults.kind \"stuck_at\" on \"activations\"");
  torch::InferenceMode inference;
  int64_t full_macs = 0;
  for (int64_t m : ev.stage_macs()) full_macs += m;
  Network& net = ev.net();
  std::vector<ActivationSite> sites = activation_sites(net, f);
  if (sites.empty()) throw ConfigError("faults.layers: no activation sites selected");
  const std::vector<Instance> instances = enumerate(ev, sites, f, cfg);
  const int64_t total = static_cast<int64_t>(instances.size());
  CampaignLoop loop(io, "stuck-sweep", total, ev.images(), full_macs);

  const int64_t n = ev.images(), chunk = std::min(ev.batch_size(), n);
  const int k_batch = cfg.fault_batch > 0 ? cfg.fault_batch : default_fault_batch(ev, chunk);
  const torch::Tensor& labels = ev.labels();
  const torch::Tensor& golden = ev.golden_predictions();
  const bool loopback = f.mapping == "loopback";

  // The plan: a loopback fault per chunk; otherwise up to k_batch faults of one site (evaluated
  // stacked along the batch dimension), the stuck values of one channel next to each other (they
  // share the delta's golden term). The same in every process of a distributed run.
  std::vector<const Instance*> order;
  for (const Instance& in : instances) order.push_back(&in);
  if (!loopback)
    std::stable_sort(order.begin(), order.end(), [](const Instance* a, const Instance* b) {
      return std::make_pair(a->site, a->unit) < std::make_pair(b->site, b->unit);
    });
  std::vector<TrialChunk> plan;
  for (const Instance* p : order) {
    const Instance& in = *p;
    if (plan.empty() || loopback || plan.back().point != in.site ||
        static_cast<int>(plan.back().trials.size()) >= k_batch)
      plan.push_back({static_cast<int64_t>(plan.size()), in.site, {}});
    plan.back().trials.push_back(in.trial);
  }

  // How each site is evaluated (delta when the layers after it allow it), and why.
  nlohmann::json paths = nlohmann::json::object();
  std::vector<DeltaPlan> plans(sites.size());
  if (loopback) paths["all"] = "prefix (a loopback fault hits channels of every layer)";
  for (size_t si = 0; si < sites.size() && !loopback; ++si) {
    if (f.granularity == "pixel")
      plans[si].reason = "a pixel fault hits every channel";
    else
      plans[si] = plan_delta(net, sites[si].stage);
    paths[sites[si].name] = plans[si].valid ? "delta" : "prefix (" + plans[si].reason + ")";
  }

  // The golden tensors of the site being evaluated, prepared once per site.
  int64_t current_site = -1, macs = 0;  // macs: per image and fault
  torch::Tensor x;
  std::optional<ChannelDelta> delta;
  auto prepare_site = [&](int64_t si) {
    if (si == current_site) return;
    current_site = si;
    const int s = sites[si].stage;
    x = ev.stage_input(s + 1);  // golden output of the faulty layer
    delta.reset();
    if (plans[si].valid) {
      const int t = plans[si].target;
      delta.emplace(net, plans[si], x, ev.stage_input(t), chunk, pool_after_relu(ev, net, t));
    }
    macs = 0;
    if (delta)
      macs = delta->macs_per_image(ev.stage_macs());
    else
      for (int t = s + 1; t < static_cast<int>(net->size()); ++t) macs += ev.stage_macs()[t];
  };
  auto row_of = [&](const Instance& in, const TrialMetrics& m) {
    nlohmann::json metrics = m.to_json();
    metrics["drop"] = ev.golden_accuracy() - m.accuracy;
    return TrialRow{in.trial, in.params, m.accuracy, metrics};
  };

  auto evaluate_loopback = [&](const TrialChunk& c) {
    ChunkResult out;
    for (int64_t trial : c.trials) {
      const Instance& in = instances[trial];
      const int first = in.faults.front().stage;
      TrialMetrics m = ev.run_from(first, [&](int stage, torch::Tensor& o, int64_t) {
        for (const auto& sf : in.faults)
          if (sf.stage == stage) sf.apply(o);
      });
      out.rows.push_back(row_of(in, m));
      for (int s = first; s < static_cast<int>(net->size()); ++s) out.executed_macs += ev.stage_macs()[s] * n;
    }
    return out;
  };
  // The chunk's faults stacked along the batch dimension, image chunk by image chunk.
  auto evaluate_site = [&](const TrialChunk& c) {
    prepare_site(c.point);
    const int s = sites[c.point].stage;
    const size_t k = c.trials.size();
    Tally tally;
    for (int64_t off = 0; off < n; off += chunk) {
      const int64_t len = std::min(chunk, n - off);
      std::vector<torch::Tensor> stacked;
      for (size_t j = 0; j < k; ++j) {
        const StuckFault& sf = instances[c.trials[j]].faults.front();
        if (delta) {
          delta->add(j, k, sf, off, len);
        } else {
          torch::Tensor xf = x.narrow(0, off, len).clone();
          sf.apply(xf);
          stacked.push_back(xf);
        }
      }
      torch::Tensor logits = delta ? delta->logits(ev, off) : ev.forward_from(s + 1, torch::cat(stacked), off);
      tally.add(logits, static_cast<int64_t>(k), labels.narrow(0, off, len), golden.narrow(0, off, len));
    }
    ChunkResult out;
    const std::vector<TrialMetrics> metrics = tally.metrics(n);
    for (size_t j = 0; j < k; ++j) out.rows.push_back(row_of(instances[c.trials[j]], metrics[j]));
    out.executed_macs = macs * n * static_cast<int64_t>(k);
    return out;
  };

  TrialExecutor local;
  TrialExecutor& executor = io.executor ? *io.executor : local;
  FixedSchedule schedule(std::move(plan), loop, io.recorder);
  executor.execute(schedule, [&](const TrialChunk& c) { return loopback ? evaluate_loopback(c) : evaluate_site(c); });
  if (!executor.records()) return nlohmann::json::object();  // a worker rank: rank 0 summarises
  io.recorder.flush();
  nlohmann::json summary = stuck_layers(io.recorder.all(), ev.golden_accuracy());
  summary["kind"] = "stuck_sweep";
  summary["granularity"] = f.granularity;
  summary["mapping"] = f.mapping;
  summary["golden_accuracy"] = ev.golden_accuracy();
  summary["images"] = n;
  summary["faults"] = total;
  summary["planned_trials"] = nlohmann::json::array({nlohmann::json::array({0, total})});  // [begin, end)
  loop.write_throughput(summary);
  summary["paths"] = paths;
  summary["pairing_key"] = pairing_key(f, cfg, net);
  return summary;
}

}  // namespace faultscape
