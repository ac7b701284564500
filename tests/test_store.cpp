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
#include "store/result_store.h"

#include "test_support.h"

#include <QtTest>

using faultscape::ResultStore;
using faultscape::RunInfo;
using faultscape::StoreError;
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
    QCOMPARE(raw_query(path, "PRAGMA user_version"), std::string("1"));
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
    QVERIFY(r.ended_at.empty());
    QCOMPARE(store.find_resumable_run("proj", "exp", "ber_sweep", hash), std::optional<int64_t>(cancelled));
    store.finish_run(cancelled, "complete");
    QCOMPARE(store.find_resumable_run("proj", "exp", "ber_sweep", hash), std::optional<int64_t>(failed));
    QVERIFY_THROWS_EXCEPTION(StoreError, store.resume_run(999));
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
