#include "cluster/shards.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "campaign/summaries.h"
#include "common/error.h"
#include "store/project_lock.h"
#include "store/result_store.h"
#include "study/design_space_study.h"

namespace faultscape {
namespace {

// What identifies a run across databases.
struct RunKey {
  std::string experiment, kind, config_hash;
  bool operator<(const RunKey& o) const {
    return std::tie(experiment, kind, config_hash) < std::tie(o.experiment, o.kind, o.config_hash);
  }
  std::string describe() const { return "experiment \"" + experiment + "\" " + kind + " (config " + config_hash + ")"; }
};

struct Shard {
  std::string path;
  ShardId id{-1, 0};
  std::map<RunKey, RunRow> runs;  // the latest run of each configuration
  std::unique_ptr<ResultStore> store;
};

bool is_campaign(const std::string& kind) { return kind == "stuck_sweep" || kind == "ber_sweep" || kind == "golden"; }

Shard open_shard(const std::string& path) {
  Shard s{path, {-1, 0}, {}, std::make_unique<ResultStore>(path, ResultStore::Access::read_only)};
  for (RunRow& r : s.store->runs()) {
    if (r.summary.is_object() && r.summary.contains("shard")) {
      const ShardId id{r.summary["shard"].value("index", -1), r.summary["shard"].value("count", 0)};
      if (s.id.count && (id.index != s.id.index || id.count != s.id.count))
        throw StoreError(path + ": runs of different shards (" + std::to_string(s.id.index) + "/" +
                         std::to_string(s.id.count) + " and " + std::to_string(id.index) + "/" +
                         std::to_string(id.count) + ") in one database");
      s.id = id;
    }
    s.runs[{r.experiment, r.kind, r.config_hash}] = std::move(r);
  }
  if (!s.id.count) throw StoreError(path + ": not a shard database (no campaign run recorded with --shard)");
  return s;
}

// Trials in none of the planned [begin, end) ranges' union, as text ("3, 6, 9 and 12 more").
std::string missing_trials(const nlohmann::json& planned, const std::map<int64_t, TrialRow>& rows, int64_t& count) {
  std::vector<int64_t> missing;
  for (const auto& range : planned)
    for (int64_t t = range.at(0).get<int64_t>(); t < range.at(1).get<int64_t>(); ++t)
      if (!rows.count(t)) missing.push_back(t);
  count = static_cast<int64_t>(missing.size());
  std::string text;
  for (size_t i = 0; i < std::min<size_t>(missing.size(), 8); ++i) text += (i ? ", " : "") + std::to_string(missing[i]);
  if (missing.size() > 8) text += " and " + std::to_string(missing.size() - 8) + " more";
  return text;
}

// The campaign summary of the merged trials: shard 0's fixed parts (golden accuracy, images,
// paths, protection), the trial statistics recomputed, the evaluation counters and timings joined.
nlohmann::json merged_summary(const std::vector<const RunRow*>& parts, const std::vector<TrialRow>& rows) {
  nlohmann::json s = parts.front()->summary;
  s.erase("shard");
  if (s.contains("abft") && s.contains("abft_trials")) {  // the golden run's checks once, every shard's trials'
    for (const auto& [key, n] : s["abft_trials"].items())
      s["abft"][key] = s["abft"][key].get<int64_t>() - n.get<int64_t>();
    for (const RunRow* r : parts) {
      const nlohmann::json checks = r->summary.value("abft_trials", nlohmann::json::object());
      for (const auto& [key, n] : checks.items()) s["abft"][key] = s["abft"][key].get<int64_t>() + n.get<int64_t>();
    }
    s.erase("abft_trials");
  }
  const double golden = s.value("golden_accuracy", 0.0);
  if (s.value("kind", "") == "stuck_sweep") s.update(stuck_layers(rows, golden));
  if (s.value("kind", "") == "ber_sweep") s["points"] = ber_points(rows, golden);
  if (!s.contains("seconds")) return s;
  int64_t evaluated = 0;
  double seconds = 0, executed_flops = 0;
  std::map<std::string, int64_t> paths;
  for (const RunRow* r : parts) {
    evaluated += r->summary.value("evaluated_now", int64_t{0});
    const double sec = r->summary.value("seconds", 0.0);
    seconds = std::max(seconds, sec);
    executed_flops += r->summary.value("executed_gflops", 0.0) * sec;
    if (s.value("kind", "") == "ber_sweep" && r->summary.contains("paths"))
      for (const auto& [name, n] : r->summary["paths"].items()) paths[name] += n.get<int64_t>();
  }
  const double effective_per_trial = s.value("effective_gflops", 0.0) * parts.front()->summary.value("seconds", 0.0) /
                                     std::max<int64_t>(1, parts.front()->summary.value("evaluated_now", int64_t{1}));
  s["evaluated_now"] = evaluated;
  s["seconds"] = seconds;  // the slowest shard: the shards run side by side
  s["faulty_inferences_per_second"] = seconds > 0 ? evaluated * s.value("images", 0.0) / seconds : 0;
  s["executed_gflops"] = seconds > 0 ? executed_flops / seconds : 0;
  s["effective_gflops"] = seconds > 0 ? effective_per_trial * evaluated / seconds : 0;
  if (!paths.empty()) s["paths"] = paths;
  return s;
}

}  // namespace

ShardId parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  try {
    size_t a = 0, b = 0;
    const int index = std::stoi(text.substr(0, slash), &a), count = std::stoi(text.substr(slash + 1), &b);
    if (slash != std::string::npos && a == slash && b == text.size() - slash - 1 && count >= 1 && index >= 0 &&
        index < count)
      return {index, count};
  } catch (const std::exception&) {}
  throw ConfigError("--shard \"" + text + "\": expected I/N with 0 <= I < N, e.g. 2/8");
}

std::string shard_database_path(const std::string& database, const ShardId& shard) {
  std::filesystem::path p(database);
  const std::string stem = p.extension() == ".sqlite" ? p.stem().string() : p.filename().string();
  return (p.parent_path() /
          (stem + ".shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count) + ".sqlite"))
      .string();
}

nlohmann::json merge_shards(const std::string& out, const std::vector<std::string>& paths, Observer* observer) {
  if (paths.empty()) throw ConfigError("merge: no shard databases given");
  std::vector<Shard> shards;
  for (const std::string& p : paths) shards.push_back(open_shard(p));

  // The shards must be one job's: same count, each index once, same code, same configurations.
  std::vector<std::string> problems;
  const int count = shards.front().id.count;
  std::map<int, std::string> seen;
  for (const Shard& s : shards) {
    if (s.id.count != count)
      problems.push_back(s.path + " is shard " + std::to_string(s.id.index) + "/" + std::to_string(s.id.count) + ", " +
                         shards.front().path + " is of " + std::to_string(count) + " shards");
    else if (!seen.emplace(s.id.index, s.path).second)
      problems.push_back(s.path + " and " + seen[s.id.index] + " are both shard " + std::to_string(s.id.index));
  }
  for (int i = 0; i < count; ++i)
    if (!seen.count(i)) problems.push_back("shard " + std::to_string(i) + "/" + std::to_string(count) + " is missing");
  const Shard& first = shards.front();
  for (const Shard& s : shards) {
    for (const auto& [key, run] : s.runs) {
      if (run.code_version != first.runs.begin()->second.code_version)
        throw ConfigError("merge: shards of different code versions (" + first.path + ": " +
                          first.runs.begin()->second.code_version + ", " + s.path + ": " + run.code_version +
                          "): rerun the shards with one build");
      if (is_campaign(key.kind) && !first.runs.count(key))
        throw ConfigError("merge: shards of different configurations: " + s.path + " has " + key.describe() + ", " +
                          first.path + " has not");
    }
    for (const auto& [key, run] : first.runs)
      if (is_campaign(key.kind) && !s.runs.count(key))
        throw ConfigError("merge: shards of different configurations: " + first.path + " has " + key.describe() + ", " +
                          s.path + " has not");
  }

  // Every campaign's trials joined and checked before anything is written.
  struct Merged {
    RunKey key;
    std::vector<const RunRow*> parts;
    std::vector<TrialRow> rows;
  };
  std::vector<Merged> merged;
  for (const auto& [key, run0] : first.runs) {
    if (!is_campaign(key.kind)) continue;
    Merged m{key, {}, {}};
    std::map<int64_t, TrialRow> rows;
    for (const Shard& s : shards) {
      const RunRow& run = s.runs.at(key);
      m.parts.push_back(&run);
      for (TrialRow& t : s.store->trials(run.id)) {
        auto [it, added] = rows.emplace(t.trial, t);
        if (!added && (it->second.accuracy != t.accuracy || it->second.metrics != t.metrics))
          problems.push_back(key.describe() + ": trial " + std::to_string(t.trial) + " differs between shards");
      }
    }
    int64_t n_missing = 0;
    const std::string missing =
        missing_trials(run0.summary.value("planned_trials", nlohmann::json::array()), rows, n_missing);
    if (n_missing)
      problems.push_back(key.describe() + ": " + std::to_string(n_missing) + " missing trials: " + missing);
    for (auto& [t, row] : rows) m.rows.push_back(std::move(row));
    merged.push_back(std::move(m));
  }
  if (!problems.empty()) {
    std::string text = "merge: the shards are not complete or do not belong together:";
    for (const auto& p : problems) text += "\n  " + p;
    throw ConfigError(text);
  }

  ProjectLock lock(out);
  ResultStore store(out);
  std::set<RunKey> done;  // configurations `out` already holds complete
  for (const RunRow& r : store.runs({"", "", "complete"})) done.insert({r.experiment, r.kind, r.config_hash});
  auto info_of = [](const RunRow& r) {
    RunInfo info{r.project, r.experiment, r.kind, r.config, r.seed, r.code_version, r.torch_version};
    return info;
  };
  nlohmann::json report = {{"database", out}, {"shards", count}, {"runs", nlohmann::json::array()}};
  auto add_report = [&](const RunKey& key, int64_t id, size_t trials) {
    report["runs"].push_back({{"experiment", key.experiment}, {"kind", key.kind}, {"run", id}, {"trials", trials}});
    if (observer)
      observer->on_log("merged " + key.describe() + " into run " + std::to_string(id) + " (" + std::to_string(trials) +
                       " trials)");
  };
  for (const auto& [key, run] : first.runs)  // evaluations: every shard made the same one
    if (key.kind == "eval" && !done.count(key)) {
      const int64_t id = store.begin_run(info_of(run));
      for (const MetricRow& m : first.store->metrics(run.id)) store.add_metric(id, m.name, m.value, m.step, m.detail);
      store.finish_run(id, "complete", run.summary);
      add_report(key, id, 0);
    }
  std::map<int64_t, int64_t> new_id;                    // shard 0's run id -> merged run id
  std::map<int64_t, nlohmann::json> summary_of_new_id;  // for the design spaces
  for (const Merged& m : merged) {
    if (done.count(m.key)) {
      if (observer) observer->on_log(m.key.describe() + ": already merged, kept");
      continue;
    }
    const int64_t id = store.begin_run(info_of(*m.parts.front()));
    store.add_trials(id, m.rows);
    nlohmann::json summary = merged_summary(m.parts, m.rows);
    summary["run"] = id;
    store.finish_run(id, "complete", summary);
    new_id[m.parts.front()->id] = id;
    summary_of_new_id[id] = summary;
    add_report(m.key, id, m.rows.size());
  }
  for (const auto& [key, run] : first.runs) {  // design spaces: sorted again from the merged points
    if (key.kind != "protection_grid" || done.count(key)) continue;
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : run.summary.at("points")) {
      auto it = new_id.find(p.value("run", int64_t{0}));
      if (it == new_id.end())
        throw StoreError(first.path + ": design point \"" + p.value("label", "") + "\" has no merged campaign run");
      points.push_back(design_point(summary_of_new_id.at(it->second), it->second));
    }
    std::vector<Objective> objectives;
    for (const auto& o : run.summary.at("objectives")) objectives.push_back({o.at("name"), o.at("maximize")});
    std::string stem = run.summary.value("csv", "");
    stem = stem.substr(0, stem.size() - std::min<size_t>(stem.size(), 4));
    std::vector<TrialRow> rows;
    nlohmann::json summary = design_space_summary(points, objectives, stem, !stem.empty(), rows);
    const int64_t id = store.begin_run(info_of(run));
    store.add_trials(id, rows);
    summary["run"] = id;
    store.finish_run(id, "complete", summary);
    add_report(key, id, rows.size());
  }
  return report;
}

}  // namespace faultscape
