// The results database of a project: one SQLite file holding every run (its full config, seed,
// versions, status), its metrics and its trials. Every write is one transaction, so a crash or a
// cancel loses nothing already recorded, and a rerun with the same config resumes the old run.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/process_info.h"

namespace faultscape {

namespace sqlite {
class Database;
}

struct RunInfo {
  std::string project;
  std::string experiment;
  std::string kind;                                  // "train", "eval", "golden", "stuck_sweep", "ber_sweep", ...
  nlohmann::json config = nlohmann::json::object();  // everything needed to reproduce the run
  uint64_t seed = 0;
  std::string code_version;   // empty: this build's code_version()
  std::string torch_version;  // empty: this build's torch_version()
};

struct RunRow {
  int64_t id = 0;
  std::string project, experiment, kind;
  nlohmann::json config;
  std::string config_hash;
  uint64_t seed = 0;
  std::string code_version, torch_version;
  std::string started_at, ended_at;  // ISO 8601 UTC; ended_at empty while running
  // running | complete | failed | cancelled as stored; "interrupted" when stored as running but
  // its owner process (below) has died: it is then resumable.
  std::string status;
  std::string error;
  ProcessIdentity owner;   // the process that began or last resumed it (pid 0 for old databases)
  nlohmann::json summary;  // null until finished with one
};

struct MetricRow {
  std::string name;
  double value = 0;
  int64_t step = -1;  // epoch, batch, ...; -1 when none
  nlohmann::json detail;
};

struct TrialRow {
  int64_t trial = 0;
  nlohmann::json params = nlohmann::json::object();  // what was injected: site, bit, rate, ...
  double accuracy = std::numeric_limits<double>::quiet_NaN();
  nlohmann::json metrics = nlohmann::json::object();
};

// Empty fields match anything.
struct RunFilter {
  std::string experiment;
  std::string kind;
  std::string status;
};

class ResultStore {
 public:
  enum class Access {
    write,     // opens or creates the database (and its parent directories) and its schema
    read_only  // an existing Faultscape database, never written (export, plot, result views)
  };
  explicit ResultStore(const std::string& path, Access access = Access::write);
  ~ResultStore();
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  const std::string& path() const;

  // A new run with status "running", started now, owned by this process.
  int64_t begin_run(const RunInfo& info);
  // Marks a previously interrupted run as running again, owned by this process (clears ended_at
  // and error).
  void resume_run(int64_t run);
  // status: "complete", "failed" or "cancelled".
  void finish_run(int64_t run, const std::string& status, const nlohmann::json& summary = nullptr,
                  const std::string& error = "");

  void add_metric(int64_t run, const std::string& name, double value, int64_t step = -1,
                  const nlohmann::json& detail = nullptr);
  // All rows or none; a trial already recorded for the run is kept and the new row ignored, so a
  // resumed campaign never duplicates a trial.
  void add_trials(int64_t run, const std::vector<TrialRow>& rows);

  std::set<int64_t> completed_trials(int64_t run) const;
  // The latest run with this config hash whose status is interrupted, cancelled or failed: a run
  // still being written by a live process is never offered.
  std::optional<int64_t> find_resumable_run(const std::string& project, const std::string& experiment,
                                            const std::string& kind, const std::string& config_hash) const;

  std::vector<RunRow> runs(const RunFilter& filter = {}) const;  // oldest first
  RunRow run(int64_t id) const;                                  // StoreError if there is none
  std::vector<TrialRow> trials(int64_t run) const;               // by trial index
  std::vector<MetricRow> metrics(int64_t run) const;             // in insertion order

  // Writes <dir>/run<id>_trials.csv and <dir>/run<id>_metrics.csv (creating dir) and returns their
  // paths. Trial params and metrics are flattened to one column per key ("a.b" when nested).
  std::vector<std::string> export_csv(int64_t run, const std::string& dir) const;
  // {"run": {...}, "metrics": [...], "trials": [...]}
  nlohmann::json export_json(int64_t run) const;

  // Stable across processes and platforms: FNV-1a 64 of the compact dump, 16 hex digits.
  static std::string hash_config(const nlohmann::json& config);

 private:
  void create_schema();
  void check_readable_schema();
  const char* columns() const;  // the runs columns read_run expects

  bool has_owner_ = true;  // false for a read-only database of schema version 1
  std::unique_ptr<sqlite::Database> db_;
};

// Runs `body` as the work of `run` and records how it ended: "complete" with the summary it
// returns, "cancelled" when it throws Cancelled, "failed" with the message of any other exception
// (which is rethrown). A run is marked complete only when body returned.
nlohmann::json record_run(ResultStore& store, int64_t run, const std::function<nlohmann::json()>& body);

// Conversions used by export_json and the GUI's result views.
nlohmann::json to_json(const RunRow& run);
nlohmann::json to_json(const MetricRow& metric);
nlohmann::json to_json(const TrialRow& trial);

}  // namespace faultscape
