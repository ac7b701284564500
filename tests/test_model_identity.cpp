// The identity of trained models (issue 16, items 1-2): the training run's config hash holds only
// what determines the weights, so changing a campaign reuses the model; a reused or loaded model
// file is identified by its SHA-256, so a file overwritten since its training run is not reused and
// a campaign is never resumed on another model than its earlier trials used; a model is never
// saved over the results database or an input.
#include <torch/torch.h>

#include <filesystem>

#include "common/error.h"
#include "common/sha256.h"
#include "models/model_io.h"
#include "models/zoo.h"
#include "project/project.h"
#include "runtime/runtime.h"
#include "store/result_store.h"
#include "study/experiment_runner.h"
#include "study/run_info.h"
#include "train/trainer.h"

#include "test_support.h"

#include <QtTest>

using namespace faultscape;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json experiment_json(json campaign_patch = json::object()) {
  json campaign = {{"kind", "ber_sweep"}, {"bers", {1e-3}}, {"trials", 4}, {"batch_size", 32}};
  campaign.merge_patch(campaign_patch);
  return {{"name", "e"},
          {"dataset", {{"name", "synthetic"}, {"synthetic", {{"train", 64}, {"test", 32}}}}},
          {"model", {{"name", "mlp"}}},
          {"training", {{"epochs", 1}, {"batch_size", 32}}},
          {"faults", {{"kind", "bitflip"}, {"target", "weights"}, {"format", "fp32"}}},
          {"campaign", campaign}};
}

Project make_project(const std::string& dir, const json& experiment) {
  json j = {
      {"name", "t"}, {"seed", 3}, {"threads", 1}, {"output_dir", dir}, {"experiments", json::array({experiment})}};
  return parse_project(j, "test project");
}

struct Logs : Observer {
  std::vector<std::string> lines;
  void on_log(const std::string& line) override { lines.push_back(line); }
  bool contains(const std::string& text) const {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
};

// Cancels the campaign after `n` trials.
struct CancelAfter : Logs {
  int64_t limit, seen = 0;
  StopToken& stop;
  CancelAfter(int64_t n, StopToken& s) : limit(n), stop(s) {}
  void on_result(RecordKind kind, const json&) override {
    if (is_trial(kind) && ++seen >= limit) stop.cancel = true;
  }
};

ExperimentOutcome run(const Project& p, Observer* observer = nullptr, const StopToken* stop = nullptr) {
  ResultStore store(p.database_path());
  RunControl control;
  control.observer = observer;
  control.stop = stop;
  return run_experiment(p, p.experiments[0], store, control);
}

// A model of the same architecture with other weights, saved at `path`.
void save_other_model(const Project& p, const std::string& path) {
  seed_everything(12345);
  DatasetSplit data = load_dataset(p.experiments[0].dataset);
  Network net = build_network(p.experiments[0].model, data.train.image_shape(), data.train.num_classes);
  save_model(net, path, {{"dataset", to_json(p.experiments[0].dataset)}});
}

}  // namespace

class TestModelIdentity : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { set_threads(1); }

  // Item 2: the train run's configuration is dataset, model, training and threads only.
  void trainConfigHoldsWhatDeterminesWeights() {
    Project a = make_project("x", experiment_json());
    Project b = make_project("x", experiment_json({{"trials", 9}, {"bers", {1e-2}}}));
    b.experiments[0].protection_json = json::array({{{"scheme", "tmr"}}});
    const RunInfo ta = run_info(a, a.experiments[0], "train"), tb = run_info(b, b.experiments[0], "train");
    QCOMPARE(ResultStore::hash_config(ta.config), ResultStore::hash_config(tb.config));
    QVERIFY(!ta.config.contains("campaign") && !ta.config.contains("faults") && !ta.config.contains("protection"));
    QCOMPARE(ta.config.value("threads", 0), 1);
    // What does change the weights changes the hash.
    Project c = make_project("x", experiment_json());
    c.experiments[0].training.seed = 4;
    QVERIFY(ResultStore::hash_config(run_info(c, c.experiments[0], "train").config) !=
            ResultStore::hash_config(ta.config));
    set_threads(2);
    const std::string two = ResultStore::hash_config(run_info(a, a.experiments[0], "train").config);
    set_threads(1);
    QVERIFY(two != ResultStore::hash_config(ta.config));
    // A campaign's configuration still holds everything.
    QVERIFY(run_info(a, a.experiments[0], "ber_sweep").config.contains("campaign"));
  }

  // Item 2, end to end: changing only campaign settings reuses the trained model.
  void campaignChangeReusesModel() {
    const std::string dir = test::fresh_dir("identity_reuse");
    ExperimentOutcome first = run(make_project(dir, experiment_json()));
    QVERIFY(first.train_run > 0);
    QCOMPARE(first.model_sha256, sha256_file(first.model_path));
    Logs logs;
    ExperimentOutcome second = run(make_project(dir, experiment_json({{"trials", 6}})), &logs);
    QCOMPARE(second.train_run, int64_t{0});  // nothing trained
    QCOMPARE(second.model_path, first.model_path);
    QCOMPARE(second.model_sha256, first.model_sha256);
    QVERIFY(logs.contains("reusing the model trained earlier"));
    QVERIFY(second.campaign_run != first.campaign_run);  // another campaign config: its own run
    QCOMPARE(second.campaign["points"][0]["trials"].get<int>(), 6);
  }

  // Item 1: a model file overwritten after its training run is not reused; training runs again.
  void overwrittenModelIsNotReused() {
    const std::string dir = test::fresh_dir("identity_overwritten");
    Project p = make_project(dir, experiment_json());
    ExperimentOutcome first = run(p);
    save_other_model(p, first.model_path);
    QVERIFY(sha256_file(first.model_path) != first.model_sha256);
    Logs logs;
    ExperimentOutcome second = run(p, &logs);
    QVERIFY2(second.train_run > first.train_run, "the overwritten model must not be reused");
    QVERIFY(logs.contains("has changed since training run " + std::to_string(first.train_run)));
    QCOMPARE(second.model_sha256, sha256_file(second.model_path));
  }

  // Item 1: a cancelled campaign is not resumed on another model: a new run starts, saying why,
  // and the earlier run keeps exactly its own trials.
  void resumeOnAnotherModelStartsNewRun() {
    const std::string dir = test::fresh_dir("identity_resume");
    Project trainer = make_project(dir, experiment_json());
    const std::string model = run(trainer).model_path;  // trains and saves the first model
    const std::string loaded = dir + "/loaded.pt";
    fs::copy_file(model, loaded);
    json e = experiment_json({{"trials", 400}});
    e["load"] = loaded;
    Project p = make_project(dir, e);
    StopToken stop;
    CancelAfter cancel(3, stop);
    QVERIFY_THROWS_EXCEPTION(Cancelled, run(p, &cancel, &stop));
    ResultStore store(p.database_path());
    const std::vector<RunRow> cancelled = store.runs({"e", "ber_sweep", "cancelled"});
    QCOMPARE(cancelled.size(), size_t{1});
    const RunRow earlier = cancelled[0];
    const size_t kept = store.trials(earlier.id).size();
    QVERIFY(kept >= 3 && kept < 400);
    QCOMPARE(earlier.config.value("model_sha256", ""), sha256_file(loaded));

    save_other_model(p, loaded);  // the same path now holds another model
    Logs logs;
    ExperimentOutcome again = run(p, &logs);
    QVERIFY2(again.campaign_run != earlier.id, "trials of two models mixed in one run");
    QVERIFY(logs.contains("run " + std::to_string(earlier.id) + " of this campaign was measured on another model"));
    QCOMPARE(store.run(again.campaign_run).config.value("model_sha256", ""), sha256_file(loaded));
    QCOMPARE(store.run(again.campaign_run).status, std::string("complete"));
    QCOMPARE(store.trials(again.campaign_run).size(), size_t{400});
    QCOMPARE(store.run(earlier.id).status, std::string("cancelled"));
    QCOMPARE(store.trials(earlier.id).size(), kept);
  }

  // Hostile outputs: a checkpoint that names the results database, the project file or an input is
  // refused before training, and the database keeps every run.
  void checkpointNeverReplacesDatabaseOrInput() {
    const std::string dir = test::fresh_dir("identity_checkpoint");
    Project p = make_project(dir, experiment_json());
    run(p);
    const size_t runs = ResultStore(p.database_path()).runs().size();
    const std::string project_file = dir + "/project.json";
    std::ofstream(project_file) << to_json(p).dump();
    for (const auto& [target, what] : std::vector<std::pair<std::string, std::string>>{
             {p.database_path(), "the results database"},
             {dir + "/./" + fs::path(p.database_path()).filename().string(), "the results database"},
             {project_file, "the project file"}}) {
      Project q = make_project(dir, experiment_json());
      q.path = project_file;
      q.experiments[0].training.checkpoint = target;
      RunControl control;
      control.retrain = true;
      ResultStore store(q.database_path());
      try {
        run_experiment(q, q.experiments[0], store, control);
        QFAIL(qPrintable(QString::fromStdString("a model was saved over " + target)));
      } catch (const ConfigError& e) {
        QVERIFY2(std::string(e.what()).find(what) != std::string::npos, e.what());
      }
    }
    ResultStore store(p.database_path());
    QCOMPARE(store.runs().size(), runs);  // refused before any run began
  }
};

QTEST_GUILESS_MAIN(TestModelIdentity)
#include "test_model_identity.moc"
