// Monte Carlo sweep over fault rates (bit-error rates for bit flips). Each trial samples its
// faults from (campaign seed, trial index), applies them in place (weights, undone from a log) or
// during the forward pass (activations), and evaluates only the stages from the first faulty one
// on, starting from cached golden activations; weight faults skip even the first faulty layer's
// recomputation where its golden output is cached (campaign/sparse_weight_delta.h).
#include <torch/torch.h>

#include <climits>

#include "campaign/campaign_loop.h"
#include "campaign/campaigns.h"
#include "campaign/schedules.h"
#include "campaign/sparse_weight_delta.h"
#include "campaign/summaries.h"
#include "common/error.h"
#include "faults/activation_faults.h"
#include "faults/rng.h"
#include "faults/sites.h"
#include "faults/weight_faults.h"

namespace faultscape {

nlohmann::json run_ber_sweep(FaultyEvaluator& ev, const FaultModel& fault, const CampaignConfig& cfg, CampaignIO& io) {
  if (fault.kind == "stuck_at" && fault.granularity != "element")
    throw ConfigError(
        "campaign.kind: a ber_sweep draws faults per element; use granularity \"element\" or a stuck_sweep");
  torch::InferenceMode inference;
  Network& net = ev.net();
  const std::vector<double> rates = cfg.rates();
  const int max_trials = cfg.target_ci > 0 ? (cfg.max_trials > 0 ? cfg.max_trials : 10 * cfg.trials) : cfg.trials;

  // Layer groups: all selected layers together, or (per_layer) one at a time.
  std::vector<FaultModel> groups;
  std::vector<int> all = selected_stages(net, fault, fault.on_weights());
  if (cfg.per_layer) {
    for (int s : all) {
      FaultModel g = fault;
      g.layers = {net->stage(s).name};
      groups.push_back(g);
    }
  } else {
    groups.push_back(fault);
  }
  // The fault sites of every group, found once.
  std::vector<std::vector<WeightSite>> wsites(groups.size());
  std::vector<std::vector<ActivationSite>> asites(groups.size());
  std::vector<std::vector<int64_t>> anumel(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    if (fault.on_weights()) {
      wsites[g] = weight_sites(net, groups[g]);
    } else {
      asites[g] = activation_sites(net, groups[g]);
      for (const auto& a : asites[g]) anumel[g].push_back(ev.output_numel()[a.stage]);
    }
  }

  int64_t full_macs = 0;
  for (int64_t m : ev.stage_macs()) full_macs += m;
  const int64_t points = static_cast<int64_t>(groups.size() * rates.size());
  CampaignLoop loop(io, "ber-sweep", points * cfg.trials, ev.images(), full_macs);
  // Golden outputs of every layer a weight fault can reach, taken before any fault is applied.
  std::vector<int> weight_stages;
  if (fault.on_weights())
    for (const WeightSite& site : weight_sites(net, fault)) weight_stages.push_back(site.stage);
  SparseWeightDelta sparse(ev, weight_stages, cfg.cache_mb << 20);

  // One trial: its faults drawn from (seed, trial index), applied, evaluated, undone.
  auto evaluate_trial = [&](int64_t index, ChunkResult& out) {
    const int64_t point = ber_point_of(index), t = index - ber_trial_index(point, 0);
    const size_t g = static_cast<size_t>(point) / rates.size(), r = static_cast<size_t>(point) % rates.size();
    auto rng = trial_rng(cfg.seed, static_cast<uint64_t>(index));
    TrialMetrics m;
    int64_t count = 0, executed_macs = 0;  // multiply-adds per image actually run
    int first = INT_MAX;
    auto macs_from = [&](int stage) {
      for (int s = stage; s < static_cast<int>(net->size()); ++s) executed_macs += ev.stage_macs()[s];
    };
    if (fault.on_weights()) {
      WeightFaultSet set = sample_weight_faults(wsites[g], groups[g], rates[r], rng);
      count = set.noise_sigma > 0 ? -1 : static_cast<int64_t>(set.faults.size());
      first = set.first_stage(wsites[g]);
      if (first != INT_MAX) {
        WeightUndoLog log;
        log.apply(wsites[g], set);
        try {
          const int effective = sparse.first_changed(first, wsites[g], set);
          const int64_t propagated = sparse.propagated();
          if (effective == INT_MAX) {
            m = ev.score(ev.golden_predictions(), 0);  // no layer computes differently
            ++out.counters["no_weight_changed"];
          } else if (sparse.applies(effective)) {
            m = sparse.run(effective, wsites[g], set, executed_macs);
            ++out.counters["sparse_weight_delta"];
          } else {
            m = ev.run_from(effective);
            ++out.counters["prefix"];
            macs_from(effective);
          }
          out.counters["sparse_through_next_layer"] += sparse.propagated() - propagated;
        } catch (...) {
          log.undo(wsites[g]);
          throw;
        }
        log.undo(wsites[g]);
      }
    } else {
      ActivationFaultSet set = sample_activation_faults(asites[g], anumel[g], ev.images(), groups[g], rates[r], rng);
      count = set.noise_sigma > 0 ? -1 : set.count();
      first = set.first_stage();
      if (first != INT_MAX) {
        m = ev.run_from(first, [&](int stage, torch::Tensor& o, int64_t offset) {
          if (set.hits(stage)) set.apply(stage, o, offset);
        });
        ++out.counters["prefix"];
        macs_from(first);
      }
    }
    if (first == INT_MAX) {
      m = ev.score(ev.golden_predictions(), 0);  // no fault drawn: the golden result
      ++out.counters["no_fault_drawn"];
    }
    nlohmann::json metrics = m.to_json();
    metrics["drop"] = ev.golden_accuracy() - m.accuracy;
    metrics["faults"] = count;
    metrics["first_stage"] = first == INT_MAX ? -1 : first;
    const std::string layer = cfg.per_layer ? groups[g].layers.front() : "all";
    out.rows.push_back(
        {index, {{"rate", rates[r]}, {"rate_index", r}, {"trial", t}, {"layer", layer}}, m.accuracy, metrics});
    out.executed_macs += executed_macs * ev.images();
  };

  TrialExecutor local;
  TrialExecutor& executor = io.executor ? *io.executor : local;
  BerSchedule schedule({points, cfg.trials, max_trials, cfg.target_ci, executor.workers()}, loop, io.recorder,
                       io.observer, ev.golden_accuracy());
  std::map<std::string, int64_t> paths = {{"sparse_weight_delta", 0},
                                          {"sparse_through_next_layer", 0},
                                          {"prefix", 0},
                                          {"no_fault_drawn", 0},
                                          {"no_weight_changed", 0}};
  executor.execute(schedule, [&](const TrialChunk& chunk) {
    ChunkResult out;
    for (int64_t index : chunk.trials) evaluate_trial(index, out);
    return out;
  });
  if (!executor.records()) return nlohmann::json::object();  // a worker rank: rank 0 summarises
  io.recorder.flush();
  nlohmann::json summary = {{"kind", "ber_sweep"},
                            {"fault_kind", fault.kind},
                            {"target", fault.target},
                            {"golden_accuracy", ev.golden_accuracy()},
                            {"images", ev.images()},
                            {"points", ber_points(io.recorder.all(), ev.golden_accuracy())},
                            {"pairing_key", pairing_key(fault, cfg, net)}};
  // The trials every point has whatever its results ([begin, end) ranges): merging shards checks them.
  nlohmann::json planned = nlohmann::json::array();
  for (int64_t p = 0; p < points; ++p) planned.push_back({ber_trial_index(p, 0), ber_trial_index(p, cfg.trials)});
  summary["planned_trials"] = planned;
  loop.write_throughput(summary);
  for (const auto& [name, count] : loop.counters()) paths[name] += count;
  summary["paths"] = paths;
  return summary;
}

}  // namespace faultscape
