// Results database: schema, runs, metrics, trials without duplicates, resume, failure marking,
// transactional rollback, CSV and JSON export, and data surviving a reopen.
#include <torch/torch.h>

#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "common/error.h"
#include "runtime/runtime.h"
#include "common/sha256.h"
#include "store/project_lock.h"
#include "store/result_store.h"

#include "test_support.h"

#include <QtTest>

using faultscape::host_name;
using faultscape::ProjectLock;
using faultscape::ResultStore;
using faultscape::RunInfo;
using faultscape::sha256_file;
using faultscape::sha256_hex;
using faultscape::StoreError;
using faultscape::this_process;
using faultscape::TrialRow;
using nlohmann::json;
namespace fs = std::filesystem;

// Readable failure messages for the standard and JSON types compared here.
namespace QTest {
template <>
inline char* toString(const std::string& s) {
  return qstrdup(s.c_str());
}
template <>
inline char* toString(const nlohmann::json& j) {
  return qstrdup(j.dump().c_str());
}
}  // namespace QTest

namespace {

RunInfo info(const std::string& experiment = "exp", const std::string& kind = "ber_sweep",
             json config = {{"rate", 1e-4}}) {
  RunInfo i;
  i.project = "proj";
  i.experiment = experiment;
  i.kind = kind;
  i.config = std::move(config);
  i.seed = 42;
  return i;
}

TrialRow trial(int64_t index, double accuracy) {
  TrialRow t;
  t.trial = index;
  t.params = {{"bit", index % 8}};
  t.accuracy = accuracy;
  return t;
}

// Runs SQL on the database file through a separate connection, as another process would.
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  QCOMPARE(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  QVERIFY2(rc == SQLITE_OK, message.c_str());
}

std::string raw_query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  std::string result;
  if (sqlite3_step(s) == SQLITE_ROW) result = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return result;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

class TestStore : public QObject {
  Q_OBJECT

  QTemporaryDir* tmp_ = nullptr;
  std::string dir() const { return tmp_->path().toStdString(); }

 private slots:
  void init() {
    fs::create_directories(FAULTSCAPE_TEST_TMP);
    tmp_ = new QTemporaryDir(QString(FAULTSCAPE_TEST_TMP) + "/store-XXXXXX");
    QVERIFY(tmp_->isValid());
  }
  void cleanup() { delete tmp_; }

  void schemaCreation() {
    const std::string path = dir() + "/nested/deeper/proj.sqlite";
    {
      ResultStore store(path);
      QCOMPARE(store.path(), path);
    }
    QVERIFY(fs::exists(path));
    QCOMPARE(raw_query(path,
                       "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
                       "WHERE type = 'table' ORDER BY name)"),
             std::string("metrics,runs,trials"));
    QCOMPARE(raw_query(path, "PRAGMA journal_mode"), std::string("wal"));
    QCOMPARE(raw_query(path, "PRAGMA user_version"), std::string("2"));
    ResultStore again(path);  // opening an existing database keeps it
    QVERIFY(again.runs().empty());
  }

  void openErrorsNameThePath() {
    const std::string blocker = dir() + "/file";
    std::ofstream(blocker) << "x";
    try {
      ResultStore store(blocker + "/proj.sqlite");
      QFAIL("expected a StoreError");
    } catch (const StoreError& e) {
      QVERIFY2(std::string(e.what()).find(blocker + "/proj.sqlite") == 0, e.what());
    }
    const std::string newer = dir() + "/newer.sqlite";
    { ResultStore store(newer); }
    raw_exec(newer, "PRAGMA user_version = 99");
    QVERIFY_THROWS_EXCEPTION(StoreError, ResultStore{newer});
  }

  void beginAndFinishRun() {
    ResultStore store(dir() + "/p.sqlite");
    auto i = info();
    i.seed = 18446744073709551615ULL;  // stored bit for bit in a signed column
    const int64_t id = store.begin_run(i);
    auto r = store.run(id);
    QCOMPARE(r.id, id);
    QCOMPARE(r.project, std::string("proj"));
    QCOMPARE(r.experiment, std::string("exp"));
    QCOMPARE(r.kind, std::string("ber_sweep"));
    QCOMPARE(r.config, i.config);
    QCOMPARE(r.config_hash, ResultStore::hash_config(i.config));
    QCOMPARE(r.seed, i.seed);
    QCOMPARE(r.code_version, faultscape::code_version());
    QCOMPARE(r.torch_version, faultscape::torch_version());
    QCOMPARE(r.status, std::string("running"));
    QVERIFY(std::regex_match(r.started_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    QVERIFY(r.ended_at.empty());
    QVERIFY(r.summary.is_null());

    store.finish_run(id, "complete", {{"accuracy", 0.91}});
    r = store.run(id);
    QCOMPARE(r.status, std::string("complete"));
    QCOMPARE(r.summary, json({{"accuracy", 0.91}}));
    QVERIFY(r.ended_at >= r.started_at);
    QVERIFY(r.error.empty());

    QVERIFY_THROWS_EXCEPTION(StoreError, store.finish_run(id, "done"));
    QVERIFY_THROWS_EXCEPTION(StoreError, store.finish_run(id, "running"));
    QVERIFY_THROWS_EXCEPTION(StoreError, store.finish_run(id + 100, "failed"));
    QVERIFY_THROWS_EXCEPTION(StoreError, store.run(id + 100));
  }

  void metrics() {
    ResultStore store(dir() + "/p.sqlite");
    const int64_t id = store.begin_run(info());
    store.add_metric(id, "train_loss", 0.75, 1, {{"lr", 0.001}});
    store.add_metric(id, "train_loss", 0.5, 2);
    store.add_metric(id, "test_accuracy", std::nan(""));
    const auto m = store.metrics(id);
    QCOMPARE(m.size(), size_t(3));
    QCOMPARE(m[0].name, std::string("train_loss"));
    QCOMPARE(m[0].value, 0.75);
    QCOMPARE(m[0].step, int64_t(1));
    QCOMPARE(m[0].detail, json({{"lr", 0.001}}));
    QCOMPARE(m[1].step, int64_t(2));
    QVERIFY(m[1].detail.is_null());
    QCOMPARE(m[2].step, int64_t(-1));
    QVERIFY(std::isnan(m[2].value));
    // A metric of a run that does not exist violates the foreign key.
    QVERIFY_THROWS_EXCEPTION(StoreError, store.add_metric(id + 1, "x", 1));
    QCOMPARE(store.metrics(id + 1).size(), size_t(0));
  }

  void trialsAreNeverDuplicated() {
    ResultStore store(dir() + "/p.sqlite");
    const int64_t id = store.begin_run(info());
    store.add_trials(id, {trial(0, 0.9), trial(1, 0.8), trial(2, 0.7), trial(3, 0.6)});
    // A resumed campaign re-submits trials 2 and 3: the recorded ones stay.
    store.add_trials(id, {trial(2, 0.1), trial(3, 0.1), trial(4, 0.5), trial(5, std::nan(""))});
    store.add_trials(id, {});
    const auto rows = store.trials(id);
    QCOMPARE(rows.size(), size_t(6));
    QCOMPARE(rows[2].accuracy, 0.7);
    QCOMPARE(rows[3].accuracy, 0.6);
    QCOMPARE(rows[4].params, json({{"bit", 4}}));
    QVERIFY(std::isnan(rows[5].accuracy));
    QCOMPARE(store.completed_trials(id), (std::set<int64_t>{0, 1, 2, 3, 4, 5}));
    QCOMPARE(raw_query(store.path(), "SELECT count(*) FROM trials"), std::string("6"));
    // Trials of another run are separate.
    const int64_t other = store.begin_run(info());
    QVERIFY(store.completed_trials(other).empty());
    store.add_trials(other, {trial(2, 0.3)});
    QCOMPARE(store.trials(other).at(0).accuracy, 0.3);
  }

  void findResumableRun() {
    ResultStore store(dir() + "/p.sqlite");
    const std::string hash = ResultStore::hash_config(info().config);
    QVERIFY(!store.find_resumable_run("proj", "exp", "ber_sweep", hash));

    const int64_t done = store.begin_run(info());
    store.finish_run(done, "complete");
    QVERIFY(!store.find_resumable_run("proj", "exp", "ber_sweep", hash));

    const int64_t failed = store.begin_run(info());
    store.finish_run(failed, "failed", nullptr, "out of memory");
    // Same config elsewhere, or another config here, does not count.
    store.begin_run(info("other"));
    store.begin_run(info("exp", "stuck_sweep"));
    store.finish_run(store.begin_run(info("exp", "ber_sweep", {{"rate", 1e-3}})), "cancelled");
    QCOMPARE(store.find_resumable_run("proj", "exp", "ber_sweep", hash), std::optional<int64_t>(failed));

    const int64_t cancelled = store.begin_run(info());
    store.finish_run(cancelled, "cancelled");
    QCOMPARE(store.find_resumable_run("proj", "exp", "ber_sweep", hash), std::optional<int64_t>(cancelled));

    store.resume_run(cancelled);
    const auto r = store.run(cancelled);
    QCOMPARE(r.status, std::string("running"));
    QCOMPARE(r.owner.pid, this_process().pid);
    QVERIFY(r.ended_at.empty());
    // A run being written by a live process (this one) is never offered for resuming...
    QCOMPARE(store.find_resumable_run("proj", "exp", "ber_sweep", hash), std::optional<int64_t>(failed));
    // ...but once its owner is dead (kill -9) it is shown "interrupted" and resumable.
    raw_exec(store.path(), "UPDATE runs SET owner_pid = 999999999 WHERE id = " + std::to_string(cancelled));
    QCOMPARE(store.run(cancelled).status, std::string("interrupted"));
    QCOMPARE(store.find_resumable_run("proj", "exp", "ber_sweep", hash), std::optional<int64_t>(cancelled));
    // The same pid alive but started at another time is a recycled pid: dead too.
    raw_exec(store.path(), "UPDATE runs SET owner_pid = " + std::to_string(this_process().pid) +
                               ", owner_start = owner_start + 1 WHERE id = " + std::to_string(cancelled));
    QCOMPARE(store.run(cancelled).status, std::string("interrupted"));
    // A run of another host cannot be checked: it stays "running" and is not taken.
    raw_exec(store.path(), "UPDATE runs SET owner_host = 'elsewhere' WHERE id = " + std::to_string(cancelled));
    QCOMPARE(store.run(cancelled).status, std::string("running"));
    QCOMPARE(store.find_resumable_run("proj", "exp", "ber_sweep", hash), std::optional<int64_t>(failed));
    store.resume_run(cancelled);
    store.finish_run(cancelled, "complete");
    QCOMPARE(store.find_resumable_run("proj", "exp", "ber_sweep", hash), std::optional<int64_t>(failed));
    QVERIFY_THROWS_EXCEPTION(StoreError, store.resume_run(999));
  }

  // A database of schema version 1 (before run owners) is migrated in place when opened for
  // writing; its running runs have no owner and read as interrupted.
  void schemaOneIsMigrated() {
    const std::string path = dir() + "/v1.sqlite";
    raw_exec(path,
             "CREATE TABLE runs(id INTEGER PRIMARY KEY, project TEXT NOT NULL, experiment TEXT NOT NULL, kind TEXT "
             "NOT NULL, config TEXT NOT NULL, config_hash TEXT NOT NULL, seed INTEGER NOT NULL, code_version TEXT, "
             "torch_version TEXT, started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL, error TEXT, "
             "summary TEXT);"
             "CREATE TABLE metrics(run_id INTEGER NOT NULL, name TEXT NOT NULL, value REAL, step INTEGER NOT NULL "
             "DEFAULT -1, detail TEXT);"
             "CREATE TABLE trials(run_id INTEGER NOT NULL, trial INTEGER NOT NULL, params TEXT, accuracy REAL, "
             "metrics TEXT, UNIQUE(run_id, trial));"
             "INSERT INTO runs VALUES(1, 'proj', 'exp', 'ber_sweep', '{}', 'h', 1, 'c', 't', '2026', NULL, "
             "'running', NULL, NULL);"
             "PRAGMA user_version = 1;");
    {
      ResultStore reader(path, ResultStore::Access::read_only);  // reads version 1 without touching it
      QCOMPARE(reader.run(1).status, std::string("interrupted"));
    }
    QCOMPARE(raw_query(path, "PRAGMA user_version"), std::string("1"));
    ResultStore store(path);
    QCOMPARE(raw_query(path, "PRAGMA user_version"), std::string("2"));
    QCOMPARE(store.find_resumable_run("proj", "exp", "ber_sweep", "h"), std::optional<int64_t>(1));
    store.resume_run(1);
    QCOMPARE(store.run(1).status, std::string("running"));
    QCOMPARE(store.run(1).owner.host, host_name());
  }

  // Readers (export, plot, the result views) never write: a foreign SQLite file is refused and left
  // byte for byte as it was; a missing file is not created.
  void readOnlyNeverWrites() {
    const std::string foreign = dir() + "/foreign.sqlite";
    raw_exec(foreign, "CREATE TABLE notes(text TEXT); INSERT INTO notes VALUES('mine')");
    const std::string before = read_bytes(foreign);
    try {
      ResultStore store(foreign, ResultStore::Access::read_only);
      QFAIL("expected a StoreError");
    } catch (const StoreError& e) {
      QVERIFY2(std::string(e.what()).find("not a Faultscape results database") != std::string::npos, e.what());
    }
    QCOMPARE(read_bytes(foreign), before);
    QCOMPARE(raw_query(foreign, "PRAGMA journal_mode"), std::string("delete"));
    QVERIFY_THROWS_EXCEPTION(StoreError, ResultStore(dir() + "/missing.sqlite", ResultStore::Access::read_only));
    QVERIFY(!fs::exists(dir() + "/missing.sqlite"));
    // A real database reads, and a write through a read-only store fails without damage.
    const std::string path = dir() + "/p.sqlite";
    { ResultStore(path).begin_run(info()); }
    ResultStore reader(path, ResultStore::Access::read_only);
    QCOMPARE(reader.runs().size(), size_t{1});
    QVERIFY_THROWS_EXCEPTION(StoreError, reader.begin_run(info()));
    QCOMPARE(reader.runs().size(), size_t{1});
  }

  // One writer per database: a second lock names the first's pid and host; a lock file left by a
  // dead process is taken over.
  void projectLock() {
    const std::string db = dir() + "/locked.sqlite";
    {
      ProjectLock first(db);
      QCOMPARE(first.stale_owner().pid, int64_t{0});
      try {
        ProjectLock second(db);
        QFAIL("expected a StoreError");
      } catch (const StoreError& e) {
        const std::string text = e.what();
        QVERIFY2(text.find("pid " + std::to_string(this_process().pid)) != std::string::npos, e.what());
        QVERIFY2(text.find(host_name()) != std::string::npos, e.what());
        QVERIFY2(text.find(db) == 0, e.what());
      }
    }
    { ProjectLock again(db); }  // released by the first
    // A lock file naming a process that died without releasing it (flock is gone with it).
    std::ofstream(ProjectLock::lock_path(db)) << "999999999 " << host_name() << " 1 2026-01-01T00:00:00Z\n";
    ProjectLock taken(db);
    QCOMPARE(taken.stale_owner().pid, int64_t{999999999});
  }

  void sha256Vectors() {  // FIPS 180-4 examples
    QCOMPARE(sha256_hex(""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    QCOMPARE(sha256_hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    QCOMPARE(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
             std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    const std::string million(1000000, 'a');
    QCOMPARE(sha256_hex(million), std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    const std::string file = dir() + "/million";
    std::ofstream(file, std::ios::binary) << million;
    QCOMPARE(sha256_file(file), sha256_hex(million));
  }

  void failingRunIsMarkedFailed() {
    ResultStore store(dir() + "/p.sqlite");
    const int64_t failing = store.begin_run(info());
    try {
      faultscape::record_run(store, failing, [&]() -> json {
        store.add_trials(failing, {trial(0, 0.5)});
        throw std::runtime_error("model file is truncated");
      });
      QFAIL("the body's exception must propagate");
    } catch (const std::runtime_error& e) {
      QCOMPARE(std::string(e.what()), std::string("model file is truncated"));
    }
    auto r = store.run(failing);
    QCOMPARE(r.status, std::string("failed"));
    QCOMPARE(r.error, std::string("model file is truncated"));
    QVERIFY(!r.ended_at.empty());
    QCOMPARE(store.trials(failing).size(), size_t(1));  // what was measured is kept

    const int64_t stopped = store.begin_run(info());
    QVERIFY_THROWS_EXCEPTION(faultscape::Cancelled,
                             faultscape::record_run(store, stopped, []() -> json { throw faultscape::Cancelled(); }));
    QCOMPARE(store.run(stopped).status, std::string("cancelled"));
    // A cancel is not an error: handlers of errors let it through to the one that asked to stop.
    bool passed_error_handlers = false;
    try {
      try {
        throw faultscape::Cancelled();
      } catch (const std::exception&) {
        QFAIL("a std::exception handler caught a cancel");
      }
    } catch (const faultscape::Cancelled&) {
      passed_error_handlers = true;
    }
    QVERIFY(passed_error_handlers);

    const int64_t ok = store.begin_run(info());
    const json summary = faultscape::record_run(store, ok, [] { return json{{"trials", 0}}; });
    QCOMPARE(summary, json({{"trials", 0}}));
    r = store.run(ok);
    QCOMPARE(r.status, std::string("complete"));
    QCOMPARE(r.summary, summary);

    faultscape::RunFilter filter;
    filter.status = "complete";
    QCOMPARE(store.runs(filter).size(), size_t(1));
  }

  void failedTransactionLeavesNoPartialRows() {
    const std::string path = dir() + "/p.sqlite";
    ResultStore store(path);
    const int64_t id = store.begin_run(info());
    // Make the fourth insert of the batch fail, after three have succeeded inside the transaction.
    raw_exec(path,
             "CREATE TRIGGER fail_trial BEFORE INSERT ON trials WHEN NEW.trial = 3 "
             "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    try {
      store.add_trials(id, {trial(0, 1), trial(1, 1), trial(2, 1), trial(3, 1), trial(4, 1)});
      QFAIL("expected a StoreError");
    } catch (const StoreError& e) {
      const std::string message = e.what();
      QVERIFY2(message.rfind(path + ": ", 0) == 0, e.what());
      QVERIFY2(message.find("disk on fire") != std::string::npos, e.what());
    }
    QVERIFY(store.trials(id).empty());
    QCOMPARE(raw_query(path, "SELECT count(*) FROM trials"), std::string("0"));

    // The connection is usable afterwards: no transaction was left open.
    raw_exec(path, "DROP TRIGGER fail_trial");
    store.add_trials(id, {trial(0, 1), trial(3, 1)});
    QCOMPARE(store.completed_trials(id), (std::set<int64_t>{0, 3}));
  }

  void exportCsvAndJson() {
    ResultStore store(dir() + "/p.sqlite");
    const int64_t id = store.begin_run(info());
    store.add_metric(id, "train_loss", 0.75, 1, {{"lr", 0.001}});
    store.add_metric(id, "test_accuracy", 0.9);
    TrialRow a;
    a.trial = 0;
    a.params = {{"site", "conv1"}, {"bit", 3}, {"nested", {{"a", 1}}}};
    a.accuracy = 0.5;
    a.metrics = {{"loss", 0.25}};
    TrialRow b;
    b.trial = 1;
    b.params = {{"site", "fc, \"x\""}, {"bit", 7}};
    b.metrics = {{"loss", 1.0}, {"accuracy", 0.1}};  // clashes with the fixed column: prefixed
    store.add_trials(id, {a, b});

    const std::string out = dir() + "/export/here";
    const auto files = store.export_csv(id, out);
    const std::string stem = out + "/run" + std::to_string(id);
    QCOMPARE(files, (std::vector<std::string>{stem + "_trials.csv", stem + "_metrics.csv"}));
    QCOMPARE(faultscape::test::read_text(files[0]),
             std::string("trial,bit,nested.a,site,accuracy,loss,metrics.accuracy\n"
                         "0,3,1,conv1,0.5,0.25,\n"
                         "1,7,,\"fc, \"\"x\"\"\",,1.0,0.1\n"));
    QCOMPARE(faultscape::test::read_text(files[1]), std::string("name,step,value,detail\n"
                                                                "train_loss,1,0.75,\"{\"\"lr\"\":0.001}\"\n"
                                                                "test_accuracy,-1,0.9,\n"));
    for (const auto& entry : fs::directory_iterator(out))
      QVERIFY2(entry.path().extension() == ".csv", entry.path().c_str());  // no temporary left

    const json j = store.export_json(id);
    QCOMPARE(j["run"]["id"], json(id));
    QCOMPARE(j["run"]["status"], json("running"));
    QCOMPARE(j["run"]["config"], info().config);
    QVERIFY(j["run"]["ended_at"].is_null());
    QCOMPARE(j["metrics"].size(), size_t(2));
    QCOMPARE(j["metrics"][0],
             json({{"name", "train_loss"}, {"value", 0.75}, {"step", 1}, {"detail", {{"lr", 0.001}}}}));
    QCOMPARE(j["trials"].size(), size_t(2));
    QCOMPARE(j["trials"][0]["params"], a.params);
    QCOMPARE(j["trials"][1]["accuracy"], json(nullptr));  // NaN: not measured
    QCOMPARE(j["trials"][1]["metrics"], b.metrics);

    QVERIFY_THROWS_EXCEPTION(StoreError, store.export_csv(id + 1, out));
    QVERIFY_THROWS_EXCEPTION(StoreError, store.export_json(id + 1));
  }

  void reopenFindsData() {
    const std::string path = dir() + "/p.sqlite";
    int64_t first = 0, second = 0;
    {
      ResultStore store(path);
      first = store.begin_run(info("a", "train"));
      store.add_metric(first, "loss", 1.5, 0);
      store.finish_run(first, "complete", {{"epochs", 1}});
      second = store.begin_run(info("b", "golden"));
      store.add_trials(second, {trial(0, 0.25)});
    }
    ResultStore store(path);
    const auto all = store.runs();
    QCOMPARE(all.size(), size_t(2));
    QCOMPARE(all[0].id, first);
    QCOMPARE(all[1].id, second);
    QCOMPARE(all[0].summary, json({{"epochs", 1}}));
    QCOMPARE(store.metrics(first).at(0).value, 1.5);
    QCOMPARE(store.trials(second).at(0).accuracy, 0.25);
    faultscape::RunFilter by_experiment;
    by_experiment.experiment = "b";
    QCOMPARE(store.runs(by_experiment).at(0).id, second);
    faultscape::RunFilter by_kind;
    by_kind.kind = "train";
    QCOMPARE(store.runs(by_kind).at(0).id, first);
    faultscape::RunFilter running;
    running.status = "running";
    QCOMPARE(store.runs(running).size(), size_t(1));
    by_kind.kind = "ber_sweep";
    QVERIFY(store.runs(by_kind).empty());
  }

  void configHashIsStable() {
    QCOMPARE(ResultStore::hash_config({{"a", 1}}), std::string("9c3e82dd6fcae8b1"));  // FNV-1a 64
    // Key order does not matter: objects are dumped with sorted keys.
    QCOMPARE(ResultStore::hash_config(json::parse(R"({"b": [1, 2], "a": {"y": 1, "x": 2}})")),
             ResultStore::hash_config(json::parse(R"({"a": {"x": 2, "y": 1}, "b": [1, 2]})")));
    QVERIFY(ResultStore::hash_config({{"a", 1}}) != ResultStore::hash_config({{"a", 2}}));
  }
};

QTEST_APPLESS_MAIN(TestStore)
#include "test_store.moc"
