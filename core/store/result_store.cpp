#include "store/result_store.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "common/error.h"
#include "common/json_parse.h"
#include "runtime/runtime.h"
#include "store/sqlite.h"

namespace faultscape {
namespace {

using nlohmann::json;
using sqlite::Statement;
using sqlite::Transaction;

// 2: runs.owner_pid / owner_host / owner_start (which process writes a running run).
constexpr int kSchemaVersion = 2;

const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY,
  project TEXT NOT NULL,
  experiment TEXT NOT NULL,
  kind TEXT NOT NULL,
  config TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  seed INTEGER NOT NULL,
  code_version TEXT,
  torch_version TEXT,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  status TEXT NOT NULL CHECK(status IN ('running', 'complete', 'failed', 'cancelled')),
  error TEXT,
  summary TEXT,
  owner_pid INTEGER,
  owner_host TEXT,
  owner_start INTEGER);
CREATE INDEX IF NOT EXISTS runs_by_config ON runs(project, experiment, kind, config_hash);
CREATE TABLE IF NOT EXISTS metrics(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value REAL,
  step INTEGER NOT NULL DEFAULT -1,
  detail TEXT);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics(run_id);
CREATE TABLE IF NOT EXISTS trials(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  trial INTEGER NOT NULL,
  params TEXT,
  accuracy REAL,
  metrics TEXT,
  UNIQUE(run_id, trial));
)sql";

const char* const kRunColumns =
    "id, project, experiment, kind, config, config_hash, seed, code_version, torch_version, "
    "started_at, ended_at, status, error, summary, owner_pid, owner_host, owner_start";
// The same for a schema-1 database opened read-only (no owner columns, nothing is migrated).
const char* const kRunColumnsV1 =
    "id, project, experiment, kind, config, config_hash, seed, code_version, torch_version, "
    "started_at, ended_at, status, error, summary, NULL, NULL, NULL";

// ISO 8601 UTC with milliseconds: sorts as text in time order.
std::string now_utc() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t seconds = system_clock::to_time_t(now);
  const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  char full[48];
  std::snprintf(full, sizeof full, "%s.%03dZ", text, static_cast<int>(millis));
  return full;
}

std::string dump_or_empty(const json& j) { return j.is_null() ? std::string() : j.dump(); }

json json_column(const sqlite::Database& db, const Statement& s, int column) {
  if (s.is_null(column)) return nullptr;
  try {
    return parse_json(s.text(column));
  } catch (const JsonError& e) {
    throw StoreError(db.path() + ": unreadable JSON in the results: " + e.what());
  }
}

RunRow read_run(const sqlite::Database& db, const Statement& s) {
  RunRow r;
  r.id = s.integer(0);
  r.project = s.text(1);
  r.experiment = s.text(2);
  r.kind = s.text(3);
  r.config = json_column(db, s, 4);
  r.config_hash = s.text(5);
  r.seed = static_cast<uint64_t>(s.integer(6));  // stored bit for bit as a signed 64-bit integer
  r.code_version = s.text(7);
  r.torch_version = s.text(8);
  r.started_at = s.text(9);
  r.ended_at = s.text(10);
  r.status = s.text(11);
  r.error = s.text(12);
  r.summary = json_column(db, s, 13);
  r.owner.pid = s.integer(14);
  r.owner.host = s.text(15);
  r.owner.start_ticks = s.integer(16);
  // A run left "running" by a process that has died (kill -9, power loss) is interrupted; a run
  // of another host cannot be checked and stays "running".
  if (r.status == "running" && (r.owner.pid == 0 || liveness(r.owner) == Liveness::dead)) r.status = "interrupted";
  return r;
}

// Records the end of a run while another exception is on its way: that one must win.
void finish_quietly(ResultStore& store, int64_t run, const std::string& status, const std::string& error) {
  try {
    store.finish_run(run, status, nullptr, error);
  } catch (const std::exception&) {}
}

}  // namespace

ResultStore::ResultStore(const std::string& path, Access access) {
  if (access == Access::read_only) {
    db_ = std::make_unique<sqlite::Database>(path, sqlite::Database::Mode::read_only);
    check_readable_schema();
    return;
  }
  const auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) throw StoreError(path + ": cannot create directory " + parent.string() + ": " + ec.message());
  db_ = std::make_unique<sqlite::Database>(path);
  create_schema();
}

ResultStore::~ResultStore() = default;

const std::string& ResultStore::path() const { return db_->path(); }

const char* ResultStore::columns() const { return has_owner_ ? kRunColumns : kRunColumnsV1; }

void ResultStore::create_schema() {
  // WAL lets the GUI read while a campaign writes; NORMAL sync is still crash-safe in WAL mode
  // (only an OS crash can lose the last commits) and avoids an fsync per trial batch.
  db_->exec("PRAGMA journal_mode = WAL");
  db_->exec("PRAGMA synchronous = NORMAL");
  db_->exec("PRAGMA foreign_keys = ON");
  Transaction tx(*db_);
  Statement version(*db_, "PRAGMA user_version");
  const int64_t found = version.step() ? version.integer(0) : 0;
  if (found > kSchemaVersion)
    throw StoreError(db_->path() + ": written by a newer Faultscape (schema version " + std::to_string(found) +
                     ", this build reads " + std::to_string(kSchemaVersion) + ")");
  db_->exec(kSchema);
  if (found == 1)  // CREATE TABLE IF NOT EXISTS kept the old runs table: add the owner columns
    db_->exec(
        "ALTER TABLE runs ADD COLUMN owner_pid INTEGER; ALTER TABLE runs ADD COLUMN owner_host TEXT; "
        "ALTER TABLE runs ADD COLUMN owner_start INTEGER");
  db_->exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  tx.commit();
}

// A reader checks without writing: a foreign SQLite file is refused, not given our schema.
void ResultStore::check_readable_schema() {
  Statement version(*db_, "PRAGMA user_version");
  const int64_t found = version.step() ? version.integer(0) : 0;
  if (found > kSchemaVersion)
    throw StoreError(db_->path() + ": written by a newer Faultscape (schema version " + std::to_string(found) +
                     ", this build reads " + std::to_string(kSchemaVersion) + ")");
  std::set<std::string> tables;
  Statement t(*db_, "SELECT name FROM sqlite_master WHERE type = 'table'");
  while (t.step()) tables.insert(t.text(0));
  for (const char* name : {"runs", "metrics", "trials"})
    if (!tables.count(name) || found < 1)
      throw StoreError(db_->path() + ": not a Faultscape results database (no " +
                       (found < 1 ? std::string("schema version") : "\"" + std::string(name) + "\" table") + ")");
  has_owner_ = found >= 2;
}

int64_t ResultStore::begin_run(const RunInfo& info) {
  Transaction tx(*db_);
  Statement s(*db_,
              "INSERT INTO runs(project, experiment, kind, config, config_hash, seed, code_version, "
              "torch_version, started_at, status, owner_pid, owner_host, owner_start) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'running', ?10, ?11, ?12)");
  const ProcessIdentity self = this_process();
  s.bind_text(1, info.project)
      .bind_text(2, info.experiment)
      .bind_text(3, info.kind)
      .bind_text(4, info.config.dump())
      .bind_text(5, hash_config(info.config))
      .bind_int(6, static_cast<int64_t>(info.seed))
      .bind_text(7, info.code_version.empty() ? code_version() : info.code_version)
      .bind_text(8, info.torch_version.empty() ? torch_version() : info.torch_version)
      .bind_text(9, now_utc())
      .bind_int(10, self.pid)
      .bind_text(11, self.host)
      .bind_int(12, self.start_ticks);
  s.run();
  const int64_t id = db_->last_insert_id();
  tx.commit();
  return id;
}

void ResultStore::resume_run(int64_t run) {
  Transaction tx(*db_);
  Statement s(*db_,
              "UPDATE runs SET status = 'running', ended_at = NULL, error = NULL, owner_pid = ?2, owner_host = ?3, "
              "owner_start = ?4 WHERE id = ?1");
  const ProcessIdentity self = this_process();
  s.bind_int(1, run).bind_int(2, self.pid).bind_text(3, self.host).bind_int(4, self.start_ticks).run();
  if (db_->changes() == 0) throw StoreError(db_->path() + ": no run " + std::to_string(run));
  tx.commit();
}

void ResultStore::finish_run(int64_t run, const std::string& status, const json& summary, const std::string& error) {
  if (status != "complete" && status != "failed" && status != "cancelled")
    throw StoreError(db_->path() + ": run " + std::to_string(run) + " cannot finish with status \"" + status +
                     "\" (expected complete, failed or cancelled)");
  Transaction tx(*db_);
  Statement s(*db_, "UPDATE runs SET status = ?1, ended_at = ?2, summary = ?3, error = ?4 WHERE id = ?5");
  s.bind_text(1, status)
      .bind_text(2, now_utc())
      .bind_text_or_null(3, dump_or_empty(summary))
      .bind_text_or_null(4, error)
      .bind_int(5, run)
      .run();
  if (db_->changes() == 0) throw StoreError(db_->path() + ": no run " + std::to_string(run));
  tx.commit();
}

void ResultStore::add_metric(int64_t run, const std::string& name, double value, int64_t step, const json& detail) {
  Transaction tx(*db_);
  Statement s(*db_, "INSERT INTO metrics(run_id, name, value, step, detail) VALUES(?1, ?2, ?3, ?4, ?5)");
  s.bind_int(1, run)
      .bind_text(2, name)
      .bind_real(3, value)
      .bind_int(4, step)
      .bind_text_or_null(5, dump_or_empty(detail))
      .run();
  tx.commit();
}

void ResultStore::add_trials(int64_t run, const std::vector<TrialRow>& rows) {
  if (rows.empty()) return;
  Transaction tx(*db_);
  Statement s(*db_,
              "INSERT OR IGNORE INTO trials(run_id, trial, params, accuracy, metrics) "
              "VALUES(?1, ?2, ?3, ?4, ?5)");
  for (const auto& row : rows) {
    s.bind_int(1, run)
        .bind_int(2, row.trial)
        .bind_text_or_null(3, dump_or_empty(row.params))
        .bind_real(4, row.accuracy)
        .bind_text_or_null(5, dump_or_empty(row.metrics))
        .run();
    s.reset();
  }
  tx.commit();
}

std::set<int64_t> ResultStore::completed_trials(int64_t run) const {
  Statement s(*db_, "SELECT trial FROM trials WHERE run_id = ?1");
  s.bind_int(1, run);
  std::set<int64_t> done;
  while (s.step()) done.insert(s.integer(0));
  return done;
}

std::optional<int64_t> ResultStore::find_resumable_run(const std::string& project, const std::string& experiment,
                                                       const std::string& kind, const std::string& config_hash) const {
  Statement s(*db_, std::string("SELECT ") + columns() +
                        " FROM runs WHERE project = ?1 AND experiment = ?2 AND kind = ?3 AND "
                        "config_hash = ?4 AND status IN ('running', 'cancelled', 'failed') ORDER BY id DESC");
  s.bind_text(1, project).bind_text(2, experiment).bind_text(3, kind).bind_text(4, config_hash);
  while (s.step()) {
    const RunRow r = read_run(*db_, s);
    if (r.status != "running") return r.id;  // a live process's run is skipped, never shared
  }
  return std::nullopt;
}

std::vector<RunRow> ResultStore::runs(const RunFilter& filter) const {
  Statement s(*db_, std::string("SELECT ") + columns() +
                        " FROM runs WHERE (?1 = '' OR experiment = ?1) AND (?2 = '' OR kind = ?2) "
                        "AND (?3 = '' OR status = ?3) ORDER BY id");
  s.bind_text(1, filter.experiment).bind_text(2, filter.kind).bind_text(3, filter.status);
  std::vector<RunRow> rows;
  while (s.step()) rows.push_back(read_run(*db_, s));
  return rows;
}

RunRow ResultStore::run(int64_t id) const {
  Statement s(*db_, std::string("SELECT ") + columns() + " FROM runs WHERE id = ?1");
  s.bind_int(1, id);
  if (!s.step()) throw StoreError(db_->path() + ": no run " + std::to_string(id));
  return read_run(*db_, s);
}

std::vector<TrialRow> ResultStore::trials(int64_t run) const {
  Statement s(*db_, "SELECT trial, params, accuracy, metrics FROM trials WHERE run_id = ?1 ORDER BY trial");
  s.bind_int(1, run);
  std::vector<TrialRow> rows;
  while (s.step()) {
    TrialRow t;
    t.trial = s.integer(0);
    t.params = json_column(*db_, s, 1);
    t.accuracy = s.real(2);
    t.metrics = json_column(*db_, s, 3);
    rows.push_back(std::move(t));
  }
  return rows;
}

std::vector<MetricRow> ResultStore::metrics(int64_t run) const {
  Statement s(*db_, "SELECT name, value, step, detail FROM metrics WHERE run_id = ?1 ORDER BY rowid");
  s.bind_int(1, run);
  std::vector<MetricRow> rows;
  while (s.step()) rows.push_back({s.text(0), s.real(1), s.integer(2), json_column(*db_, s, 3)});
  return rows;
}

std::string ResultStore::hash_config(const json& config) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : config.dump()) {
    hash ^= c;
    hash *= 0x100000001b3ULL;  // FNV prime
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

json record_run(ResultStore& store, int64_t run, const std::function<json()>& body) {
  json summary;
  try {
    summary = body();
  } catch (const Cancelled& e) {
    finish_quietly(store, run, "cancelled", e.what());
    throw;
  } catch (const std::exception& e) {
    finish_quietly(store, run, "failed", e.what());
    throw;
  } catch (...) {
    finish_quietly(store, run, "failed", "unknown exception");
    throw;
  }
  store.finish_run(run, "complete", summary);
  return summary;
}

}  // namespace faultscape
