// Campaigns end to end on a small synthetic problem: identical results for the same seed,
// resume after a cancel equal to an uninterrupted run (no duplicated trials), stuck sweeps that
// match a plain forward pass with the fault applied, and the BER sweep's statistics.
#include <torch/torch.h>

#include <atomic>
#include <filesystem>

#include "study/experiment_runner.h"
#include "common/error.h"
#include "runtime/runtime.h"
#include "models/model_io.h"
#include "project/project.h"
#include "store/result_store.h"

#include "test_support.h"

#include <QtTest>

using namespace faultscape;
namespace fs = std::filesystem;

namespace {

nlohmann::json experiment_json(const std::string& name, nlohmann::json faults, nlohmann::json campaign) {
  return {{"name", name},
          {"dataset", {{"name", "synthetic"}, {"synthetic", {{"train", 256}, {"test", 120}}}}},
          {"model", {{"name", "lenet5"}, {"act_bits", 2}}},
          {"training", {{"epochs", 2}, {"batch_size", 32}, {"lr", 0.003}}},
          {"faults", faults},
          {"campaign", campaign}};
}

Project make_project(const std::string& dir, nlohmann::json experiment) {
  nlohmann::json j = {{"name", "t"},
                      {"seed", 3},
                      {"threads", 1},
                      {"output_dir", dir},
                      {"experiments", nlohmann::json::array({experiment})}};
  return parse_project(j, "test project");
}

nlohmann::json ber_faults() { return {{"kind", "bitflip"}, {"target", "weights"}, {"format", "fp32"}}; }
nlohmann::json ber_campaign() {
  return {{"kind", "ber_sweep"}, {"bers", {1e-5, 1e-3}}, {"trials", 6}, {"batch_size", 50}};
}
nlohmann::json stuck_faults() {
  return {{"kind", "stuck_at"}, {"target", "activations"}, {"granularity", "channel"}, {"stuck_values", "auto"}};
}
nlohmann::json stuck_campaign() { return {{"kind", "stuck_sweep"}, {"batch_size", 50}}; }

struct Run {
  ExperimentOutcome outcome;
  std::vector<TrialRow> trials;
};

Run run_once(const Project& project, Observer* observer = nullptr, const StopToken* stop = nullptr) {
  ResultStore store(project.database_path());
  RunControl control;
  control.observer = observer;
  control.stop = stop;
  Run r;
  r.outcome = run_experiment(project, project.experiments[0], store, control);
  r.trials = store.trials(r.outcome.campaign_run);
  return r;
}

// Cancels the campaign after a number of trials.
struct CancelAfter : Observer {
  int64_t limit;
  int64_t seen = 0;
  StopToken& stop;
  CancelAfter(int64_t n, StopToken& s) : limit(n), stop(s) {}
  void on_result(RecordKind kind, const nlohmann::json&) override {
    if (is_trial(kind) && ++seen >= limit) stop.cancel = true;
  }
};

void compare_trials(const std::vector<TrialRow>& a, const std::vector<TrialRow>& b) {
  QCOMPARE(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    QCOMPARE(a[i].trial, b[i].trial);
    QCOMPARE(a[i].params, b[i].params);
    QCOMPARE(a[i].accuracy, b[i].accuracy);
    QCOMPARE(a[i].metrics.value("sdc_rate", -1.0), b[i].metrics.value("sdc_rate", -1.0));
  }
}

}  // namespace

class TestCampaign : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { set_threads(1); }

  void sameSeedSameResults() {
    for (auto [faults, campaign] :
         {std::pair{ber_faults(), ber_campaign()}, std::pair{stuck_faults(), stuck_campaign()}}) {
      Run a = run_once(make_project(test::fresh_dir("campaign_seed_a"), experiment_json("e", faults, campaign)));
      Run b = run_once(make_project(test::fresh_dir("campaign_seed_b"), experiment_json("e", faults, campaign)));
      QVERIFY(!a.trials.empty());
      compare_trials(a.trials, b.trials);
      // The statistics agree too (timings aside).
      const char* key = campaign["kind"] == "ber_sweep" ? "points" : "layers";
      QCOMPARE(a.outcome.campaign.at(key), b.outcome.campaign.at(key));
    }
    // Another campaign seed draws other faults.
    nlohmann::json other = ber_campaign();
    other["seed"] = 99;
    Run a =
        run_once(make_project(test::fresh_dir("campaign_seed_a"), experiment_json("e", ber_faults(), ber_campaign())));
    Run c = run_once(make_project(test::fresh_dir("campaign_seed_c"), experiment_json("e", ber_faults(), other)));
    bool differ = false;
    for (size_t i = 0; i < a.trials.size(); ++i)
      differ = differ || a.trials[i].accuracy != c.trials[i].accuracy || a.trials[i].metrics != c.trials[i].metrics;
    QVERIFY(differ);
  }

  // A cancelled campaign keeps its trials; running it again resumes the same run and finishes
  // with exactly the trials of an uninterrupted run.
  void resumeEqualsUninterrupted() {
    for (auto [faults, campaign] :
         {std::pair{ber_faults(), ber_campaign()}, std::pair{stuck_faults(), stuck_campaign()}}) {
      Run full = run_once(make_project(test::fresh_dir("campaign_full"), experiment_json("e", faults, campaign)));
      Project p = make_project(test::fresh_dir("campaign_resume"), experiment_json("e", faults, campaign));
      StopToken stop;
      CancelAfter cancel(3, stop);
      bool cancelled = false;
      try {
        Run partial = run_once(p, &cancel, &stop);
        cancelled = partial.outcome.campaign.is_null() || partial.trials.size() < full.trials.size();
      } catch (const Cancelled&) {
        cancelled = true;
      }
      QVERIFY(cancelled);
      int64_t first_run;
      {
        ResultStore store(p.database_path());
        auto runs = store.runs({"e", campaign["kind"], "cancelled"});
        QCOMPARE(runs.size(), size_t{1});
        first_run = runs[0].id;
        size_t kept = store.trials(first_run).size();
        QVERIFY2(kept >= 1 && kept < full.trials.size(), qPrintable(QString::number(kept)));
      }
      Run resumed = run_once(p);
      QCOMPARE(resumed.outcome.campaign_run, first_run);  // the same run, continued
      compare_trials(resumed.trials, full.trials);
      ResultStore store(p.database_path());
      QCOMPARE(store.run(first_run).status, std::string("complete"));
    }
  }

  // Every stuck-sweep trial equals a plain forward pass of the saved model with that one fault.
  void stuckSweepMatchesPlainForward() {
    Project p = make_project(test::fresh_dir("campaign_stuck"), experiment_json("e", stuck_faults(), stuck_campaign()));
    Run r = run_once(p);
    const nlohmann::json& c = r.outcome.campaign;
    QVERIFY(c.contains("layers"));
    LoadedModel m = load_model(r.outcome.model_path);
    DatasetSplit data = load_dataset(p.experiments[0].dataset);
    torch::NoGradGuard no_grad;
    m.net->eval();
    int checked = 0;
    for (size_t i = 0; i < r.trials.size(); i += 7) {
      const TrialRow& t = r.trials[i];
      int stage = m.net->stage_index(t.params.at("layer").get<std::string>());
      QVERIFY(stage >= 0);
      int64_t channel = t.params.at("channel").get<int64_t>();
      float value = t.params.at("value").get<float>();
      torch::Tensor x = m.net->forward_range(data.test.images, 0, stage + 1);
      using torch::indexing::Slice;
      x.index_put_({Slice(), channel}, value);
      torch::Tensor logits = m.net->forward_range(x, stage + 1, m.net->size());
      double acc = 100.0 * logits.argmax(1).eq(data.test.labels).sum().item<double>() / data.test.size();
      QVERIFY2(std::abs(acc - t.accuracy) < 1e-9,
               qPrintable(QString("trial %1: %2 vs %3").arg(t.trial).arg(acc).arg(t.accuracy)));
      ++checked;
    }
    QVERIFY(checked > 5);
    for (const auto& l : c["layers"]) {
      QVERIFY(l["min"].get<double>() <= l["mean"].get<double>());
      QVERIFY(l["mean"].get<double>() <= l["max"].get<double>());
    }
  }

  // BER sweep: no faults at rate 0 (golden), more damage at higher rates, every NaN/Inf counted.
  void berSweepStatistics() {
    nlohmann::json campaign = {{"kind", "ber_sweep"}, {"bers", {0.0, 1e-2}}, {"trials", 5}};
    Project p = make_project(test::fresh_dir("campaign_ber"), experiment_json("e", ber_faults(), campaign));
    Run r = run_once(p);
    const nlohmann::json& c = r.outcome.campaign;
    QCOMPARE(c["points"].size(), size_t{2});
    const nlohmann::json& zero = c["points"][0];
    const nlohmann::json& high = c["points"][1];
    QCOMPARE(zero["accuracy"]["mean"].get<double>(), c["golden_accuracy"].get<double>());
    QCOMPARE(zero["sdc_rate"].get<double>(), 0.0);
    QVERIFY(high["sdc_rate"].get<double>() > 10);
    QVERIFY(high["nonfinite"].get<int64_t>() > 0);  // 1e-2 of fp32 bits hits exponents: Inf / NaN
    QCOMPARE(static_cast<int64_t>(r.trials.size()), int64_t{10});
  }

  void badFaultModelNamesFieldAtLoad() {
    nlohmann::json e = experiment_json("e", {{"kind", "bitflip"}, {"target", "weights"}, {"format", "fp33"}},
                                       {{"kind", "ber_sweep"}, {"bers", {1e-3}}, {"trialz", 2}});
    try {
      make_project(test::fresh_dir("campaign_bad"), e);
      QFAIL("no error");
    } catch (const std::exception& ex) {
      QString msg = ex.what();
      QVERIFY2(msg.contains("experiments[0].faults.format") && msg.contains("fp33"), qPrintable(msg));
      QVERIFY2(msg.contains("experiments[0].campaign.trialz"), qPrintable(msg));
    }
  }
};

QTEST_GUILESS_MAIN(TestCampaign)
#include "test_campaign.moc"
