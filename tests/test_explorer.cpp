// The workbench's Fault explorer driven offscreen (acceptance 1 of issue 15) on a trained lenet5:
// flipping bit 30 of a conv weight (a click in the bit view) changes the prediction and the
// propagation chart is zero before that layer and non-zero from it on; TMR on that layer restores
// the golden prediction and its voter reports the correction; a stored stuck-sweep trial replays
// to the prediction the engine computes for it; the "flipped" filter, the lesson pane and
// presentation mode. Expected values come from the engine (core/explain) in this process.
#include <torch/torch.h>  // before any Qt header

#include <filesystem>

#include "explain/explain_session.h"
#include "faults/sites.h"
#include "project/project.h"
#include "runtime/runtime.h"
#include "study/experiment_runner.h"

#include <QElapsedTimer>
#include <QListWidget>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QtTest>

#include <qcustomplot.h>

#include "bit_word_view.h"
#include "fault_explorer.h"
#include "feature_map_plot.h"
#include "lesson_pane.h"
#include "main_window.h"
#include "presentation.h"
#include "project_document.h"
#include "propagation_plot.h"
#include "explain_test_support.h"
#include "test_support.h"

using namespace faultscape;
using namespace faultscape::gui;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

using test::have_fashion;
using test::stage_weight;

json project_json(const std::string& dir) {
  json dataset = have_fashion() ? json{{"name", "fashion-mnist"}, {"train_limit", 6000}, {"test_limit", 400}}
                                : json{{"name", "synthetic"}, {"synthetic", {{"train", 512}, {"test", 256}}}};
  json e = {
      {"name", "lenet5"},
      {"dataset", dataset},
      {"model", {{"name", "lenet5"}}},
      {"training", {{"epochs", 2}, {"batch_size", 64}, {"lr", 0.002}}},
      {"faults",
       {{"kind", "stuck_at"}, {"target", "activations"}, {"granularity", "channel"}, {"layers", {"conv0", "conv1"}}}},
      {"campaign", {{"kind", "stuck_sweep"}, {"test_limit", 200}, {"batch_size", 100}}}};
  return {{"name", "explorer"}, {"seed", 7}, {"threads", 2}, {"output_dir", dir}, {"experiments", {e}}};
}

}  // namespace

class TestExplorer : public QObject {
  Q_OBJECT
  std::string dir_, project_file_;
  std::unique_ptr<MainWindow> window_;
  FaultExplorer* explorer_ = nullptr;
  json bit30_, bit0_;  // faults on the largest conv1 weight
  int image_ = -1;     // an image whose prediction bit 30 changes
  std::optional<StoredTrial> worst_;
  int64_t replay_prediction_ = -1;
  std::set<int> flipped_;  // images (of the first 300) the worst stored fault flips

  // Waits until the explorer shows an explanation of `fault` under `protection` (the picker names
  // the tensor in full: "conv1.0...weight" for "weight").
  bool wait_for(const json& fault, const json& protection) {
    auto shown = [&] {
      const json& r = explorer_->result();
      if (!r.is_object() || r.value("image", -1) != image_ || r["protection"] != protection) return false;
      if (fault.contains("replay")) return r["fault"].contains("replayed_from");
      json got = r["fault"], want = fault;
      const std::string tensor = got.value("tensor", ""), suffix = want.value("tensor", "");
      if (tensor.size() < suffix.size() || tensor.compare(tensor.size() - suffix.size(), suffix.size(), suffix) != 0)
        return false;
      got.erase("tensor"), want.erase("tensor");
      return got == want;
    };
    QElapsedTimer waited;
    waited.start();
    while (!shown()) {
      if (waited.elapsed() > 30000) return false;
      QTest::qWait(20);
    }
    return true;
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    dir_ = test::fresh_dir("explorer");
    project_file_ = (fs::path(dir_) / "explorer.json").string();
    std::ofstream(project_file_) << project_json(dir_).dump(2);
    // The trained model and a stored stuck-at sweep, recorded by the engine as a run would.
    const Project project = load_project(project_file_);
    // The project's thread count, as `run` and the workbench set it: a trained model is reused only
    // by a process with the thread count it was trained with.
    set_threads(project.threads);
    {
      ResultStore store(project.database_path());
      QVERIFY(run_experiment(project, project.experiments[0], store, {}).campaign_run > 0);
    }
    // What the engine says, to hold the window to.
    ExplainSession session(project, "lenet5");
    Network net = session.model();
    torch::Tensor w = stage_weight(net, "conv1");
    const int64_t index = w.argmax().item<int64_t>();  // the largest: bit 30 makes it ~1e38
    bit30_ = {{"target", "weights"}, {"layer", "conv1"}, {"tensor", "weight"}, {"index", index}, {"bit", 30}};
    bit0_ = bit30_;
    bit0_["bit"] = 0;
    std::vector<int64_t> first(300);
    for (int64_t i = 0; i < 300; ++i) first[i] = i;
    Explainer ex = session.explainer(first);
    const Explanation e = ex.explain(parse_explain_fault(bit30_, "test"));
    const Explanation e0 = ex.explain(parse_explain_fault(bit0_, "test"));
    for (int i = 0; i < 300 && image_ < 0; ++i)
      if (e.faulty_pred[i].item<int64_t>() != e.golden_pred[i].item<int64_t>() &&
          e0.faulty_pred[i].item<int64_t>() == e0.golden_pred[i].item<int64_t>())
        image_ = i;
    QVERIFY2(image_ >= 0, "bit 30 of the largest conv1 weight changes no prediction");
    worst_ = session.worst_stuck_trial();
    QVERIFY(worst_);
    const Explanation r = ex.explain(worst_->fault);
    replay_prediction_ = r.faulty_pred[image_].item<int64_t>();
    for (int i = 0; i < 300; ++i)
      if (r.faulty_pred[i].item<int64_t>() != r.golden_pred[i].item<int64_t>()) flipped_.insert(i);

    window_ = std::make_unique<MainWindow>();
    window_->set_confirm_close(false);
    QVERIFY(window_->open_project(QString::fromStdString(project_file_), true));
    window_->resize(1500, 950);
    window_->show();
    window_->show_view("explorer");
    explorer_ = window_->explorer();
    QTRY_VERIFY_WITH_TIMEOUT(explorer_->is_open(), 300000);
    QCOMPARE(explorer_->info()["worst"]["trial"].get<int64_t>(), worst_->trial.trial);
  }

  void clicked_exponent_bit_changes_the_prediction_from_its_layer_on() {
    explorer_->set_image(image_);
    explorer_->set_fault(bit0_);
    QVERIFY(wait_for(bit0_, json::array()));
    const json& r0 = explorer_->result();
    QCOMPARE(r0["faulty_prediction"], r0["golden_prediction"]);
    QCOMPARE(r0["word"]["format"].get<std::string>(), std::string("fp32"));
    // Click bit 30 in the bit view.
    widgets::BitWordView* word = explorer_->word_view();
    QTRY_VERIFY(word->isVisible());
    QTest::mouseClick(word, Qt::LeftButton, {}, word->bit_rect(30).center());
    QVERIFY(wait_for(bit30_, json::array()));
    const json r = explorer_->result();
    QVERIFY(r["faulty_prediction"] != r["golden_prediction"]);
    QCOMPARE(r["word"]["after"].get<uint32_t>(), r["word"]["before"].get<uint32_t>() ^ (1u << 30));
    // The chart's data: zero before conv1, non-zero from it on.
    const json& stages = explorer_->propagation()->stages();
    bool reached = false;
    for (const auto& s : stages) {
      reached = reached || s["stage"] == "conv1";
      if (!reached) {
        QCOMPARE(s["max_abs"].get<double>(), 0.0);
        QCOMPARE(s["corrupted"].get<int64_t>(), int64_t{0});
      } else {
        QVERIFY2(s["corrupted"].get<int64_t>() > 0, s["stage"].get<std::string>().c_str());
      }
    }
    QVERIFY(reached);
    // The feature maps show conv1 (the first faulty stage) on the channel the weight feeds.
    QCOMPARE(explorer_->feature_maps()->stage(), QString("conv1"));
    QCOMPARE(explorer_->feature_maps()->channel(), r["worst_channel"].get<int>());
  }

  void tmr_on_the_layer_restores_the_golden_prediction() {
    explorer_->set_fault(bit30_);
    explorer_->set_tmr_on_fault_layer(true);
    const json tmr = json::array({{{"scheme", "tmr"}, {"layers", {"conv1"}}}});
    QVERIFY(wait_for(bit30_, tmr));
    const json r = explorer_->result();
    QCOMPARE(r["faulty_prediction"], r["golden_prediction"]);
    QCOMPARE(r["checkers"].size(), size_t{1});
    QCOMPARE(r["checkers"][0]["stage"].get<std::string>(), std::string("conv1_vote"));
    QVERIFY(r["checkers"][0]["corrupted_in"].get<int64_t>() > 0);
    QCOMPARE(r["checkers"][0]["corrupted_out"].get<int64_t>(), int64_t{0});
    QTableWidget* table = explorer_->checker_table();
    QCOMPARE(table->rowCount(), 1);
    QCOMPARE(table->item(0, 0)->text(), QString("conv1_vote"));
    QCOMPARE(table->item(0, 3)->text(), QString("corrected"));
    explorer_->set_tmr_on_fault_layer(false);
    QVERIFY(wait_for(bit30_, json::array()));
    QVERIFY(explorer_->result()["faulty_prediction"] != explorer_->result()["golden_prediction"]);
  }

  void stored_trial_replays_to_the_engines_prediction() {
    explorer_->replay(worst_->run.id, worst_->trial.trial);
    QVERIFY(wait_for({{"replay", 1}}, json::array()));
    const json r = explorer_->result();
    QCOMPARE(r["fault"]["layer"].get<std::string>(), worst_->trial.params["layer"].get<std::string>());
    QCOMPARE(r["fault"]["channel"].get<int64_t>(), worst_->trial.params["channel"].get<int64_t>());
    QCOMPARE(r["faulty_prediction"].get<int64_t>(), replay_prediction_);
  }

  void flipped_filter_lists_what_the_worst_fault_flips() {
    explorer_->set_filter(FaultExplorer::Filter::Flipped);
    QTRY_VERIFY_WITH_TIMEOUT(!explorer_->shown_images().isEmpty() || flipped_.empty(), 30000);
    const QList<int> shown = explorer_->shown_images();
    QCOMPARE(static_cast<size_t>(shown.size()), flipped_.size());
    for (int i : shown) QVERIFY(flipped_.count(i));
    explorer_->set_filter(FaultExplorer::Filter::Misclassified);
    for (int i : explorer_->shown_images()) QVERIFY(explorer_->info()["labels"][i] != explorer_->info()["golden"][i]);
    explorer_->set_filter(FaultExplorer::Filter::All);
    QCOMPARE(explorer_->shown_images().size(), 300);
  }

  void presentation_mode_enlarges_figures() {
    QCustomPlot* plot = explorer_->propagation()->plot();
    const double normal = plot->xAxis->labelFont().pointSizeF();
    window_->document()->set("/presentation", true);
    QVERIFY(widgets::presentation());
    QTRY_VERIFY(plot->xAxis->labelFont().pointSizeF() > 1.5 * normal);
    window_->document()->set("/presentation", false);
    QTRY_COMPARE(plot->xAxis->labelFont().pointSizeF(), normal);
  }

  void lesson_opens_with_its_pane() {
    const std::string lesson = (fs::path(dir_) / "lesson.json").string();
    json doc = json::parse(test::read_text(FAULTSCAPE_SOURCE_DIR "/projects/lessons/tmr_vs_edac.json"));
    doc["output_dir"] = dir_;
    std::ofstream(lesson) << doc.dump(2);
    window_->show_view("model");  // the explorer opens (trains) only when shown
    QVERIFY(window_->open_project(QString::fromStdString(lesson), true));
    QVERIFY(window_->lesson_pane()->has_lesson());
    QVERIFY(window_->lesson_pane()->isVisible());
    QVERIFY(window_->lesson_pane()->text().contains("TMR vs EDAC"));
  }

  void cleanupTestCase() { window_.reset(); }
};

QTEST_MAIN(TestExplorer)
#include "test_explorer.moc"
