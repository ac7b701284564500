// The workbench's EngineWorker on its own (no main window): the typed signals of a run, a project
// the engine refuses, a cancel between trials, and the reused-model event of a second run.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <string>

#include "engine_worker.h"
#include "test_support.h"

#include <QSignalSpy>
#include <QtTest>

using faultscape::gui::EngineWorker;
using nlohmann::json;

namespace {

json project(const std::string& dir, int trials) {
  json e = {{"name", "e"},
            {"dataset", {{"name", "synthetic"}, {"synthetic", {{"train", 128}, {"test", 60}}}}},
            {"model", {{"name", "mlp"}}},
            {"training", {{"epochs", 1}, {"batch_size", 32}}},
            {"faults", {{"kind", "bitflip"}, {"target", "weights"}, {"format", "fp32"}}},
            {"campaign", {{"kind", "ber_sweep"}, {"bers", {1e-4}}, {"trials", trials}, {"batch_size", 30}}}};
  return {{"name", "w"}, {"seed", 5}, {"threads", 1}, {"output_dir", dir}, {"experiments", json::array({e})}};
}

// Every record of every "results" signal of one kind.
json records(const QSignalSpy& spy, faultscape::RecordKind kind) {
  json all = json::array();
  for (const auto& args : spy)
    if (args.at(0).value<faultscape::RecordKind>() == kind)
      for (const auto& r : args.at(1).value<json>()) all.push_back(r);
  return all;
}

}  // namespace

class TestEngineWorker : public QObject {
  Q_OBJECT

 private slots:
  void run_emits_typed_signals_in_order() {
    EngineWorker worker;
    QSignalSpy started(&worker, &EngineWorker::started), results(&worker, &EngineWorker::results),
        finished(&worker, &EngineWorker::finished), failed(&worker, &EngineWorker::failed),
        reused(&worker, &EngineWorker::model_reused);
    const json doc = project(faultscape::test::fresh_dir("worker_run"), 4);
    worker.run(doc, "", "e", false);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(started.count(), 1);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(reused.count(), 0);  // trained now
    QCOMPARE(records(results, faultscape::RecordKind::Epoch).size(), size_t{1});
    QCOMPARE(records(results, faultscape::RecordKind::BerTrial).size(), size_t{4});
    QCOMPARE(records(results, faultscape::RecordKind::StuckTrial).size(), size_t{0});
    QCOMPARE(records(results, faultscape::RecordKind::BerPoint).size(), size_t{1});
    QCOMPARE(records(results, faultscape::RecordKind::Campaign).size(), size_t{1});
    const json outcome = finished.at(0).at(0).value<json>();
    QVERIFY(outcome.contains("train_run") && outcome.contains("campaign_run"));
    QCOMPARE(outcome["campaign"]["points"][0]["trials"].get<int>(), 4);

    // The same configuration again: the earlier model is reused, and said so by its own signal.
    worker.run(doc, "", "e", false);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(reused.count(), 1);
    QVERIFY(reused.at(0).at(0).toString().endsWith("e.pt"));
  }

  // A project the engine refuses: failed() carries the engine's own problems, nothing starts.
  void invalid_project_fails_with_the_engines_message() {
    EngineWorker worker;
    QSignalSpy started(&worker, &EngineWorker::started), failed(&worker, &EngineWorker::failed);
    json doc = project(faultscape::test::fresh_dir("worker_bad"), 2);
    doc["experiments"][0]["campaign"]["trials"] = 0;
    worker.run(doc, "bad.json", "e", false);
    QCOMPARE(started.count(), 0);
    QCOMPARE(failed.count(), 1);
    const QString error = failed.at(0).at(0).toString();
    QVERIFY2(error.contains("experiments[0].campaign.trials"), qPrintable(error));
  }

  // cancel() during a campaign: cancelled(), not failed(), and the trials measured so far are kept.
  void cancel_between_trials() {
    EngineWorker worker;
    QSignalSpy cancelled(&worker, &EngineWorker::cancelled), failed(&worker, &EngineWorker::failed),
        results(&worker, &EngineWorker::results);
    connect(
        &worker, &EngineWorker::progress, &worker,
        [&worker](const QString& phase, qint64 done, qint64, double, const QString&) {
          if (phase == "ber-sweep" && done >= 1) worker.cancel();
        },
        Qt::DirectConnection);
    // Progress reports are throttled to one per 50 ms: enough trials that one falls mid-campaign.
    worker.run(project(faultscape::test::fresh_dir("worker_cancel"), 5000), "", "e", false);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(cancelled.count(), 1);
    const size_t trials = records(results, faultscape::RecordKind::BerTrial).size();
    QVERIFY2(trials >= 1 && trials < 5000, qPrintable(QString::number(trials)));
  }
};

QTEST_GUILESS_MAIN(TestEngineWorker)
#include "test_engine_worker.moc"
