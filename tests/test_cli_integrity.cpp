// faultscape-cli under signals and concurrency (issue 16, items 3-4): SIGINT / SIGTERM during
// training and during a campaign end the run as "cancelled" with everything measured kept and exit
// 130 / 143; a second process on the same project refuses, naming the first's pid and host; a
// campaign killed with SIGKILL is listed "interrupted" and is the run the next one resumes.
#include <torch/torch.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "common/process_info.h"
#include "store/result_store.h"

#include "cli_support.h"

using namespace faultscape;
using namespace faultscape::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Training that outlasts any test (it is always stopped by a signal), then a long BER campaign.
json project(const std::string& output_dir, int epochs, bool campaign) {
  json e = {{"name", "exp"},
            {"dataset", {{"name", "synthetic"}, {"synthetic", {{"train", 64}, {"test", 32}}}}},
            {"model", {{"name", "mlp"}}},
            {"training", {{"epochs", epochs}, {"batch_size", 32}}}};
  if (campaign) {
    e["faults"] = {{"kind", "bitflip"}, {"target", "weights"}, {"format", "fp32"}};
    e["campaign"] = {{"kind", "ber_sweep"}, {"bers", {1e-3}}, {"trials", 100000}, {"batch_size", 32}};
  }
  return {{"name", "sig"}, {"output_dir", output_dir}, {"threads", 1}, {"experiments", json::array({e})}};
}

// Polls `condition` until it holds; the limit only keeps a broken build from hanging the suite.
bool wait_until(const std::function<bool()>& condition, int limit_ms = 120000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// The runs of a database being written by another process (read-only; empty until it exists).
std::vector<RunRow> runs_of(const fs::path& db, const std::string& kind) {
  try {
    ResultStore store(db.string(), ResultStore::Access::read_only);
    return store.runs({"", kind, ""});
  } catch (const std::exception&) {
    return {};
  }
}

size_t count_of(const fs::path& db, const std::string& kind, bool trials) {
  try {
    ResultStore store(db.string(), ResultStore::Access::read_only);
    std::vector<RunRow> runs = store.runs({"", kind, ""});
    if (runs.empty()) return 0;
    return trials ? store.trials(runs.back().id).size() : store.metrics(runs.back().id).size();
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

class TestCliIntegrity : public QObject {
  Q_OBJECT

  fs::path dir_;

  void start(QProcess& p, const std::string& project_file) {
    p.setWorkingDirectory(QString::fromStdString(dir_.string()));
    p.start(FAULTSCAPE_CLI, {"run", QString::fromStdString(project_file), "--quiet"});
    QVERIFY(p.waitForStarted(10000));
  }

  // Stops a run with `sig` once `kind`'s latest run has recorded something (an epoch's metrics or
  // committed trials) and checks the outcome: exit 128 + sig, run cancelled, nothing lost.
  void stop_with(int sig, const std::string& name, const std::string& kind) {
    const bool campaign = kind != "train";
    write_text(dir_ / (name + ".json"), project("out_" + name, campaign ? 1 : 100000, campaign).dump(2));
    const fs::path db = dir_ / ("out_" + name) / "sig.sqlite";
    QProcess p;
    start(p, name + ".json");
    size_t seen = 0;
    QVERIFY2(wait_until([&] { return (seen = count_of(db, kind, campaign)) > 0; }), "nothing was recorded");
    QCOMPARE(::kill(static_cast<pid_t>(p.processId()), sig), 0);
    CliResult r = finish(p);
    QVERIFY2(!r.crashed && r.exit_code == 128 + sig, qPrintable(r.describe()));
    QVERIFY2(r.err.contains("cancelled"), qPrintable(r.describe()));
    std::vector<RunRow> runs = runs_of(db, kind);
    QCOMPARE(runs.size(), size_t{1});
    QCOMPARE(runs[0].status, std::string("cancelled"));
    QVERIFY(!runs[0].ended_at.empty());
    QVERIFY2(count_of(db, kind, campaign) >= seen, "a measured result was lost");
    // The lock went with the process: the project is free again.
    fs::path lock = db.string() + ".lock";
    QVERIFY(!fs::exists(lock) || fs::file_size(lock) == 0);
  }

 private slots:
  void initTestCase() {
    dir_ = fs::path(FAULTSCAPE_TEST_TMP) / "cli_integrity";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    QVERIFY2(fs::exists(FAULTSCAPE_CLI), FAULTSCAPE_CLI);
  }

  void sigintDuringTraining() { stop_with(SIGINT, "int_train", "train"); }
  void sigtermDuringTraining() { stop_with(SIGTERM, "term_train", "train"); }
  void sigintDuringCampaign() { stop_with(SIGINT, "int_campaign", "ber_sweep"); }
  void sigtermDuringCampaign() { stop_with(SIGTERM, "term_campaign", "ber_sweep"); }

  // A second process on a project that a live process is writing refuses at once, naming it.
  void secondProcessRefuses() {
    write_text(dir_ / "busy.json", project("out_busy", 100000, false).dump(2));
    const fs::path db = dir_ / "out_busy" / "sig.sqlite";
    QProcess first;
    start(first, "busy.json");
    QVERIFY(wait_until([&] { return count_of(db, "train", false) > 0; }));
    CliResult second = run_cli(dir_, {"run", "busy.json", "--quiet"});
    QVERIFY(is_clean_error(second, {QString::fromStdString(db.filename().string()), "in use",
                                    "pid " + QString::number(first.processId()), QString::fromStdString(host_name())}));
    QCOMPARE(runs_of(db, "train").size(), size_t{1});  // the refused run began nothing
    QCOMPARE(::kill(static_cast<pid_t>(first.processId()), SIGTERM), 0);
    CliResult r = finish(first);
    QCOMPARE(r.exit_code, 143);
  }

  // kill -9 during a campaign: the run stays "running" in the file, is listed as "interrupted" (its
  // owner is dead), and is the run the next attempt resumes; its lock is free.
  void killedCampaignIsInterrupted() {
    write_text(dir_ / "killed.json", project("out_killed", 1, true).dump(2));
    const fs::path db = dir_ / "out_killed" / "sig.sqlite";
    QProcess p;
    start(p, "killed.json");
    QVERIFY(wait_until([&] { return count_of(db, "ber_sweep", true) > 0; }));
    QCOMPARE(::kill(static_cast<pid_t>(p.processId()), SIGKILL), 0);
    finish(p);
    std::vector<RunRow> runs = runs_of(db, "ber_sweep");
    QCOMPARE(runs.size(), size_t{1});
    QCOMPARE(runs[0].status, std::string("interrupted"));
    CliResult listing = run_cli(dir_, {"export", "out_killed/sig.sqlite", "--format", "json", "--out", "killed_json",
                                       "--run", QString::number(runs[0].id)});
    QVERIFY2(listing.exit_code == 0, qPrintable(listing.describe()));
    json exported =
        json::parse(read_text((dir_ / "killed_json" / ("run" + std::to_string(runs[0].id) + ".json")).string()));
    QCOMPARE(exported["run"]["status"].get<std::string>(), std::string("interrupted"));
    ResultStore store(db.string());
    QCOMPARE(store.find_resumable_run("sig", "exp", "ber_sweep", runs[0].config_hash),
             std::optional<int64_t>(runs[0].id));
  }

  // A second Ctrl-C does not wait for the batch: the process exits at once with 130.
  void secondSigintExitsAtOnce() {
    write_text(dir_ / "twice.json", project("out_twice", 100000, false).dump(2));
    const fs::path db = dir_ / "out_twice" / "sig.sqlite";
    QProcess p;
    start(p, "twice.json");
    QVERIFY(wait_until([&] { return count_of(db, "train", false) > 0; }));
    ::kill(static_cast<pid_t>(p.processId()), SIGINT);
    ::kill(static_cast<pid_t>(p.processId()), SIGINT);
    CliResult r = finish(p);
    QCOMPARE(r.exit_code, 130);
    QVERIFY(!r.crashed);
  }

 private:
  static std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
};

QTEST_GUILESS_MAIN(TestCliIntegrity)
#include "test_cli_integrity.moc"
