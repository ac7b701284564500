// Monte Carlo sweep over fault rates (bit-error rates for bit flips). Each trial samples its
// faults from (campaign seed, trial index), applies them in place (weights, undone from a log) or
// during the forward pass (activations), and evaluates only the stages from the first faulty one
// on, starting from cached golden activations; weight faults skip even the first faulty layer's
// recomputation where its golden output is cached (campaign/sparse_weight_delta.h).
#include <torch/torch.h>

#include <climits>

#include "campaign/campaign_loop.h"
#include "campaign/campaigns.h"
#include "campaign/sparse_weight_delta.h"
#include "campaign/statistics.h"
#include "common/error.h"
#include "faults/activation_faults.h"
#include "faults/rng.h"
#include "faults/sites.h"
#include "faults/weight_faults.h"

namespace faultscape {
namespace {

// Trial indices are stable whatever the trial counts: (layer group, rate index, trial in point).
constexpr int64_t kTrialsPerPoint = 1000000;
int64_t trial_index(size_t group, size_t rates, size_t rate, int64_t t) {
  return (static_cast<int64_t>(group * rates + rate)) * kTrialsPerPoint + t;
}

}  // namespace

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

  int64_t full_macs = 0;
  for (int64_t m : ev.stage_macs()) full_macs += m;
  CampaignLoop loop(io, "ber-sweep", static_cast<int64_t>(groups.size() * rates.size()) * cfg.trials, ev.images(),
                    full_macs);
  nlohmann::json points = nlohmann::json::array();
  // Golden outputs of every layer a weight fault can reach, taken before any fault is applied.
  std::vector<int> weight_stages;
  if (fault.on_weights())
    for (const WeightSite& site : weight_sites(net, fault)) weight_stages.push_back(site.stage);
  SparseWeightDelta sparse(ev, weight_stages, cfg.cache_mb << 20);
  // Which evaluation each trial took.
  int64_t sparse_trials = 0, prefix_trials = 0, golden_trials = 0, unchanged_trials = 0;

  for (size_t g = 0; g < groups.size(); ++g) {
    std::vector<WeightSite> wsites;
    std::vector<ActivationSite> asites;
    std::vector<int64_t> anumel;
    if (fault.on_weights())
      wsites = weight_sites(net, groups[g]);
    else {
      asites = activation_sites(net, groups[g]);
      for (const auto& a : asites) anumel.push_back(ev.output_numel()[a.stage]);
    }
    const std::string layer = cfg.per_layer ? groups[g].layers.front() : "all";
    for (size_t r = 0; r < rates.size(); ++r) {
      std::vector<double> acc, sdc, critical;
      int64_t nonfinite = 0, fault_count = 0;
      for (int64_t t = 0; t < max_trials; ++t) {
        if (t >= cfg.trials) {  // adaptive: continue only while the interval is too wide
          SampleStats s = sample_stats(acc);
          if (2 * s.ci95 <= cfg.target_ci) break;
        }
        const int64_t index = trial_index(g, rates.size(), r, t);
        const TrialRow* old = io.recorder.existing(index);
        TrialRow row;
        if (old) {
          row = *old;
        } else {
          auto rng = trial_rng(cfg.seed, static_cast<uint64_t>(index));
          TrialMetrics m;
          int64_t count = 0, executed_macs = 0;  // multiply-adds per image actually run
          int first = INT_MAX;
          if (fault.on_weights()) {
            WeightFaultSet set = sample_weight_faults(wsites, groups[g], rates[r], rng);
            count = set.noise_sigma > 0 ? -1 : static_cast<int64_t>(set.faults.size());
            first = set.first_stage(wsites);
            if (first != INT_MAX) {
              WeightUndoLog log;
              log.apply(wsites, set);
              try {
                const int effective = sparse.first_changed(first, wsites, set);
                if (effective == INT_MAX) {
                  m = ev.score(ev.golden_predictions(), 0);  // no layer computes differently
                  ++unchanged_trials;
                } else if (sparse.applies(effective)) {
                  m = sparse.run(effective, wsites, set, executed_macs);
                  ++sparse_trials;
                } else {
                  m = ev.run_from(effective);
                  ++prefix_trials;
                  for (int s = effective; s < static_cast<int>(net->size()); ++s) executed_macs += ev.stage_macs()[s];
                }
              } catch (...) {
                log.undo(wsites);
                throw;
              }
              log.undo(wsites);
            }
          } else {
            ActivationFaultSet set = sample_activation_faults(asites, anumel, ev.images(), groups[g], rates[r], rng);
            count = set.noise_sigma > 0 ? -1 : set.count();
            first = set.first_stage();
            if (first != INT_MAX) {
              m = ev.run_from(first, [&](int stage, torch::Tensor& out, int64_t offset) {
                if (set.hits(stage)) set.apply(stage, out, offset);
              });
              ++prefix_trials;
              for (int s = first; s < static_cast<int>(net->size()); ++s) executed_macs += ev.stage_macs()[s];
            }
          }
          if (first == INT_MAX) {
            m = ev.score(ev.golden_predictions(), 0);  // no fault drawn: the golden result
            ++golden_trials;
          }
          nlohmann::json metrics = m.to_json();
          metrics["drop"] = ev.golden_accuracy() - m.accuracy;
          metrics["faults"] = count;
          metrics["first_stage"] = first == INT_MAX ? -1 : first;
          row = {index, {{"rate", rates[r]}, {"rate_index", r}, {"trial", t}, {"layer", layer}}, m.accuracy, metrics};
          io.recorder.add(row);
          loop.evaluated(1, executed_macs * ev.images());
        }
        acc.push_back(row.accuracy);
        sdc.push_back(row.metrics.value("sdc_rate", 0.0));
        critical.push_back(row.metrics.value("critical_sdc_rate", 0.0));
        nonfinite += row.metrics.value("nonfinite", int64_t{0});
        fault_count += std::max<int64_t>(0, row.metrics.value("faults", int64_t{0}));
        loop.advance(1, layer + " rate " + std::to_string(rates[r]));
      }
      SampleStats a = sample_stats(acc);
      nlohmann::json point = {{"layer", layer},
                              {"rate", rates[r]},
                              {"trials", a.n},
                              {"accuracy", a.to_json()},
                              {"drop", ev.golden_accuracy() - a.mean},
                              {"sdc_rate", sample_stats(sdc).mean},
                              {"critical_sdc_rate", sample_stats(critical).mean},
                              {"nonfinite", nonfinite},
                              {"mean_faults", a.n ? static_cast<double>(fault_count) / a.n : 0}};
      if (io.observer) io.observer->on_result(RecordKind::BerPoint, point);
      points.push_back(point);
    }
  }
  io.recorder.flush();
  nlohmann::json summary = {{"kind", "ber_sweep"},
                            {"fault_kind", fault.kind},
                            {"target", fault.target},
                            {"golden_accuracy", ev.golden_accuracy()},
                            {"images", ev.images()},
                            {"points", points},
                            {"pairing_key", pairing_key(fault, cfg, net)}};
  loop.write_throughput(summary);
  summary["paths"] = {{"sparse_weight_delta", sparse_trials},
                      {"sparse_through_next_layer", sparse.propagated()},
                      {"prefix", prefix_trials},
                      {"no_fault_drawn", golden_trials},
                      {"no_weight_changed", unchanged_trials}};
  return summary;
}

}  // namespace faultscape
