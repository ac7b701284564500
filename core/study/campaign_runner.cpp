#include "study/campaign_runner.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <optional>

#include "campaign/campaigns.h"
#include "campaign/faulty_evaluator.h"
#include "protect/schemes.h"
#include "runtime/device.h"
#include "study/run_info.h"

namespace faultscape {

// Accuracy statistics of a campaign summary: one rate's statistics, or over the rates (ber
// sweep, with each rate's mean under "per_rate"); golden minus the mean and worst drops (stuck sweep).
nlohmann::json campaign_accuracy(const nlohmann::json& c) {
  if (c.value("kind", "") == "ber_sweep" && c.contains("points") && !c["points"].empty()) {
    if (c["points"].size() == 1) return c["points"][0]["accuracy"];
    double sum = 0, lo = 1e300, hi = -1e300;
    nlohmann::json per_rate = nlohmann::json::array();
    for (const auto& p : c["points"]) {
      double m = p["accuracy"].value("mean", 0.0);
      sum += m, lo = std::min(lo, m), hi = std::max(hi, m);
      per_rate.push_back({{"rate", p.value("rate", 0.0)}, {"layer", p.value("layer", "all")}, {"mean", m}});
    }
    return {{"mean", sum / c["points"].size()},
            {"min", lo},
            {"max", hi},
            {"rates", c["points"].size()},
            {"per_rate", per_rate}};
  }
  const double golden = c.value("golden_accuracy", 0.0);
  if (c.value("kind", "") == "stuck_sweep")
    return {{"mean", golden - c.value("mean_drop", 0.0)}, {"min", golden - c.value("worst_drop", 0.0)}};
  return {{"mean", golden}, {"min", golden}, {"max", golden}};
}

namespace {

std::string describe_model(const nlohmann::json& config) {
  const std::string sha = config.is_object() && config.contains("model_sha256") && config["model_sha256"].is_string()
                              ? config["model_sha256"].get<std::string>()
                              : "";
  return sha.empty() ? "model not recorded" : "model SHA-256 " + sha.substr(0, 12);
}

// The latest unfinished run that matches `info` in everything but the model's identity.
std::optional<RunRow> run_on_another_model(const ResultStore& store, const RunInfo& info) {
  nlohmann::json mine = info.config;
  mine.erase("model_sha256");
  const std::vector<RunRow> runs = store.runs({info.experiment, info.kind, ""});
  for (auto r = runs.rbegin(); r != runs.rend(); ++r) {
    if (r->project != info.project || r->status == "complete" || r->status == "running" || !r->config.is_object())
      continue;
    nlohmann::json theirs = r->config;
    theirs.erase("model_sha256");
    if (theirs == mine) return *r;
  }
  return std::nullopt;
}

// The latest complete run of exactly this configuration, with its summary.
std::optional<RunRow> finished_run(const ResultStore& store, const RunInfo& info, const std::string& hash) {
  std::vector<RunRow> rows = store.runs({info.experiment, info.kind, "complete"});
  for (auto it = rows.rbegin(); it != rows.rend(); ++it)
    if (it->project == info.project && it->config_hash == hash && it->summary.is_object()) return *it;
  return std::nullopt;
}

}  // namespace

void run_campaign(const Project& project, const Experiment& experiment, const CampaignSetup& setup, Network& net,
                  const Dataset& test, ResultStore& store, ExperimentOutcome& outcome, const RunControl& control,
                  const nlohmann::json& extra) {
  const CampaignConfig& cc = setup.campaign;
  int64_t n = cc.test_limit > 0 ? std::min(cc.test_limit, test.size()) : test.size();
  // The campaign's images live where the network computes (moved once when the dataset is not).
  const c10::Device device = module_device(*net);
  FaultyEvaluator ev(net, test.images.narrow(0, 0, n).to(device), test.labels.narrow(0, 0, n).to(device), cc.batch_size,
                     cc.cache_mb * (int64_t{1} << 20));
  RunInfo info = run_info(project, experiment, cc.kind);
  info.config["model_path"] = outcome.model_path;
  // The model's identity is part of the configuration: trials measured on one model are never
  // continued on another (a retrained or replaced file gives another hash, hence a new run).
  info.config["model_sha256"] = outcome.model_sha256;
  info.seed = cc.seed;
  if (extra.contains("grid_point")) info.config["grid_point"] = extra["grid_point"];
  const std::string hash = ResultStore::hash_config(info.config);
  if (control.reuse_finished && control.records())
    if (std::optional<RunRow> done = finished_run(store, info, hash)) {
      outcome.campaign_run = done->id;
      outcome.campaign = done->summary;
      if (control.observer) control.observer->on_log("run " + std::to_string(done->id) + " already measured this");
      if (control.observer) control.observer->on_result(RecordKind::Campaign, outcome.campaign);
      return;
    }
  // An interrupted run of exactly this configuration is resumed, not repeated.
  std::optional<int64_t> resumable = store.find_resumable_run(info.project, info.experiment, info.kind, hash);
  if (!resumable && control.observer)
    if (std::optional<RunRow> other = run_on_another_model(store, info))
      control.observer->on_log("run " + std::to_string(other->id) +
                               " of this campaign was measured on another model (" + describe_model(other->config) +
                               ", now " + describe_model(info.config) + "): starting a new run instead of resuming it");
  if (resumable) {
    outcome.campaign_run = *resumable;
    store.resume_run(*resumable);
    if (control.observer) control.observer->on_log("resuming run " + std::to_string(*resumable));
  } else {
    outcome.campaign_run = store.begin_run(info);
  }
  outcome.campaign = record_run(store, outcome.campaign_run, [&] {
    TrialRecorder recorder(&store, outcome.campaign_run, control.observer,
                           cc.kind == "stuck_sweep" ? RecordKind::StuckTrial : RecordKind::BerTrial);
    CampaignIO io{recorder, control.observer, control.stop, control.executor};
    const nlohmann::json abft_before = abft_counts(ev.net());  // the golden run's checks
    nlohmann::json summary;
    if (cc.kind == "stuck_sweep")
      summary = run_stuck_sweep(ev, setup.fault, cc, io);
    else if (cc.kind == "ber_sweep")
      summary = run_ber_sweep(ev, setup.fault, cc, io);
    else
      summary = run_golden(ev);
    summary["run"] = outcome.campaign_run;
    summary.update(extra);
    // ABFT checks of the trials, wherever they were evaluated: every process's added up.
    nlohmann::json abft = abft_counts(ev.net());
    std::map<std::string, int64_t> trial_checks;
    for (const auto& [key, n] : abft.items()) trial_checks[key] = n.get<int64_t>() - abft_before[key].get<int64_t>();
    if (control.executor) control.executor->sum(trial_checks);
    for (const auto& [key, n] : trial_checks) abft[key] = abft_before[key].get<int64_t>() + n;
    if (abft["checked"].get<int64_t>() > 0) summary["abft"] = abft;
    // A shard's summary covers its share of the trials; merging the shards recomputes it.
    if (const auto* shard = dynamic_cast<const ShardExecutor*>(control.executor)) {
      summary["shard"] = {{"index", shard->index()}, {"count", shard->count()}};
      if (summary.contains("abft")) summary["abft_trials"] = trial_checks;
    }
    return summary;
  });
  if (control.observer) control.observer->on_result(RecordKind::Campaign, outcome.campaign);
}

}  // namespace faultscape
