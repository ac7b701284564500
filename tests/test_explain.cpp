// The Fault explorer's engine (core/explain) and `faultscape-cli explain`, on a trained lenet5:
// a flipped exponent bit of a conv weight changes the prediction and its error appears exactly from
// that layer on; TMR on the layer votes it away; a stored stuck-sweep trial replays to the accuracy
// the campaign recorded; the CLI's CSVs hold what the engine computes; bad faults name their field.
#include <torch/torch.h>

#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "explain/explain_data.h"
#include "explain/explain_session.h"
#include "faults/sites.h"
#include "faults/number_format.h"
#include "project/project.h"
#include "runtime/runtime.h"
#include "study/experiment_runner.h"

#include "cli_support.h"
#include "explain_test_support.h"
#include "test_support.h"

#include <QtTest>

using namespace faultscape;
namespace fs = std::filesystem;

namespace {

using test::have_fashion;
using test::stage_weight;

// lenet5 trained briefly (Fashion-MNIST when installed, else the synthetic problem), with a channel
// stuck-at sweep over the first 200 test images recorded in the project's database.
nlohmann::json project_json(const std::string& dir) {
  nlohmann::json dataset = have_fashion()
                               ? nlohmann::json{{"name", "fashion-mnist"}, {"train_limit", 6000}, {"test_limit", 500}}
                               : nlohmann::json{{"name", "synthetic"}, {"synthetic", {{"train", 512}, {"test", 256}}}};
  nlohmann::json e = {
      {"name", "lenet5"},
      {"dataset", dataset},
      {"model", {{"name", "lenet5"}}},
      {"training", {{"epochs", 2}, {"batch_size", 64}, {"lr", 0.002}}},
      {"faults",
       {{"kind", "stuck_at"}, {"target", "activations"}, {"granularity", "channel"}, {"layers", {"conv0", "conv1"}}}},
      {"campaign", {{"kind", "stuck_sweep"}, {"test_limit", 200}, {"batch_size", 100}}}};
  return {{"name", "explain"}, {"seed", 7}, {"threads", 2}, {"output_dir", dir}, {"experiments", {e}}};
}

// x with bit `bit` of its IEEE binary32 word flipped (independent of NumberFormat).
float flip_fp32(float x, int bit) {
  uint32_t w;
  std::memcpy(&w, &x, 4);
  w ^= 1u << bit;
  std::memcpy(&x, &w, 4);
  return x;
}

// Images whose two largest logits are closer than float rounding can separate.
int64_t near_ties(const torch::Tensor& logits) {
  const torch::Tensor top2 = std::get<0>(logits.topk(2, 1));
  const double scale = std::max(1.0, logits.abs().max().item<double>());
  return (top2.select(1, 0) - top2.select(1, 1) <= test::kFloatTolerance * scale).sum().item<int64_t>();
}

// Rows of a CSV text, split at commas, header first.
std::vector<QStringList> csv_rows(const std::string& path) {
  std::vector<QStringList> rows;
  for (const QString& line : QString::fromStdString(test::read_text(path)).split('\n', Qt::SkipEmptyParts)) {
    QStringList cells = line.split(',');
    for (QString& c : cells) c.remove('"');
    rows.push_back(cells);
  }
  return rows;
}

// A CSV number against the engine's double, computed in this process: the figures print 10
// significant digits, and the CLI's float32 sums may run in another order (its own thread split),
// which changes each by rounding only: kFloatTolerance relative to `scale`, the size of the values.
bool same_number(const QString& text, double expected, double scale) {
  bool ok = false;
  const double v = text.toDouble(&ok);
  return ok && std::abs(v - expected) <= 1e-9 * std::abs(expected) + test::kFloatTolerance * scale;
}

}  // namespace

class TestExplain : public QObject {
  Q_OBJECT
  std::string dir_, project_file_;
  std::unique_ptr<ExplainSession> session_;
  ExplainFault bit30_;  // flips bit 30 of a conv1 weight

 private Q_SLOTS:
  void initTestCase() {
    dir_ = test::fresh_dir("explain");
    project_file_ = (fs::path(dir_) / "explain.json").string();
    test::write_text(project_file_, project_json(dir_).dump(2));
    const Project project = load_project(project_file_);
    // The project's thread count, as `run` and the workbench set it: a trained model is reused only
    // by a process with the thread count it was trained with.
    set_threads(project.threads);
    ResultStore store(project.database_path());
    const ExperimentOutcome out = run_experiment(project, project.experiments[0], store, {});
    QVERIFY(out.campaign_run > 0);
    QVERIFY2(out.evaluation.accuracy > 50, qPrintable(QString::number(out.evaluation.accuracy)));
    session_ = std::make_unique<ExplainSession>(project, "lenet5");
    QCOMPARE(session_->outcome().train_run, int64_t{0});  // the model trained above, reused
    // The largest conv1 weight: bit 30 (the exponent's top bit, 0 for |w| < 2) multiplies it by
    // 2^128, and on the non-negative pooled activations its output channel saturates what follows.
    torch::Tensor w = stage_weight(session_->model(), "conv1");
    bit30_ = parse_explain_fault(
        {{"target", "weights"}, {"layer", "conv1"}, {"index", w.argmax().item<int64_t>()}, {"bit", 30}}, "test");
  }

  void flipped_exponent_bit_changes_prediction_from_its_layer_on() {
    session_->set_protection(nlohmann::json::array());
    Network net = session_->network();
    const int conv1 = net->stage_index("conv1");
    torch::Tensor weight = stage_weight(net, "conv1");
    const torch::Tensor before = weight.clone();
    // Image 0 and the first 50: the prediction changes on image 0's batch for most images.
    std::vector<int64_t> images(50);
    for (int64_t i = 0; i < 50; ++i) images[i] = i;
    Explainer ex = session_->explainer(images);
    const Explanation e = ex.explain(bit30_);
    QVERIFY(torch::equal(weight, before));  // restored bit for bit
    QCOMPARE(e.first_stage, conv1);
    QVERIFY2(e.site.rfind("conv1", 0) == 0 && e.site.size() > 7 && e.site.substr(e.site.size() - 7) == ".weight",
             e.site.c_str());
    QVERIFY(std::abs(before.view(-1)[bit30_.index].item<float>()) < 2.0f);  // its bit 30 is 0
    // The word: bit 30 flipped, decoded as the flipped float.
    const float w = before.view(-1)[bit30_.index].item<float>();
    QVERIFY(e.has_word);
    QCOMPARE(e.word.after, e.word.before ^ (1u << 30));
    QCOMPARE(e.word.value_before, double(w));
    QCOMPARE(e.word.value_after, double(flip_fp32(w, 30)));
    // Zero error before conv1, non-zero from it on.
    for (int t = 0; t < static_cast<int>(e.stages.size()); ++t) {
      const StageError& s = e.stages[t];
      if (t < conv1) {
        QCOMPARE(s.max_abs, 0.0);
        QCOMPARE(s.corrupted, int64_t{0});
      } else {
        QVERIFY2(s.corrupted > 0, s.stage.c_str());
      }
    }
    const int64_t changed = e.faulty_pred.ne(e.golden_pred).sum().item<int64_t>();
    QVERIFY2(changed > 25, qPrintable(QString::number(changed)));
    // The faulty logits are those of a plain forward pass with the weight changed.
    {
      torch::InferenceMode guard;
      weight.view(-1)[bit30_.index] = flip_fp32(w, 30);
      const torch::Tensor logits = net->forward(ex.images());
      weight.copy_(before);
      const torch::Tensor finite = torch::isfinite(logits);
      QVERIFY(torch::equal(finite, torch::isfinite(e.faulty.back())));
      QVERIFY(test::close_values(torch::where(finite, e.faulty.back(), torch::zeros_like(logits)),
                                 torch::where(finite, logits, torch::zeros_like(logits))));
    }
    // Probabilities: a distribution per image.
    QVERIFY(torch::allclose(e.golden_probs.sum(1), torch::ones({50}, torch::kDouble), 1e-12, 1e-12));
  }

  void tmr_on_the_layer_votes_the_fault_away() {
    session_->set_protection({{{"scheme", "tmr"}, {"layers", {"conv1"}}}});
    Network net = session_->network();
    Explainer ex = session_->explainer({0, 1, 2, 3});
    const Explanation e = ex.explain(bit30_);
    QVERIFY(e.site.find("conv1") == 0);
    QVERIFY(torch::equal(e.faulty_pred, e.golden_pred));
    QCOMPARE(e.checkers.size(), size_t{1});
    const CheckerReport& vote = e.checkers[0];
    QCOMPARE(QString::fromStdString(vote.stage), QString("conv1_vote"));
    QCOMPARE(QString::fromStdString(vote.kind), QString("vote"));
    QVERIFY(vote.corrupted_in > 0);
    QCOMPARE(vote.corrupted_out, int64_t{0});
    QVERIFY(vote.corrected());
    // Nothing after the voter differs.
    for (int t = net->stage_index("conv1_vote"); t < static_cast<int>(net->size()); ++t)
      QCOMPARE(e.stages[t].corrupted, int64_t{0});
    session_->set_protection(nlohmann::json::array());
  }

  void stored_stuck_trial_replays_to_its_recorded_accuracy() {
    session_->set_protection(nlohmann::json::array());
    const std::optional<StoredTrial> worst = session_->worst_stuck_trial();
    QVERIFY(worst);
    QVERIFY(worst->trial.metrics.value("drop", 0.0) > 0);
    const int64_t n = session_->campaign_images();
    QCOMPARE(n, int64_t{200});
    std::vector<int64_t> images(n);
    for (int64_t i = 0; i < n; ++i) images[i] = i;
    Explainer ex = session_->explainer(images);
    const ExplainFault f = session_->resolve(
        parse_explain_fault({{"replay", {{"run", worst->run.id}, {"trial", worst->trial.trial}}}}, "test"));
    QCOMPARE(f.layer, worst->trial.params["layer"].get<std::string>());
    const Explanation e = ex.explain(f);
    const torch::Tensor labels = session_->test().labels.narrow(0, 0, n);
    const double accuracy = 100.0 * e.faulty_pred.eq(labels).sum().item<int64_t>() / n;
    // The campaign evaluated the same fault with delta evaluation: only images whose top two
    // logits tie within rounding may be decided differently.
    const double allowed = 100.0 * near_ties(e.faulty.back()) / n + 1e-9;
    QVERIFY2(std::abs(accuracy - worst->trial.accuracy) <= allowed,
             qPrintable(QString("%1 vs %2").arg(accuracy).arg(worst->trial.accuracy)));
  }

  void activation_bit_hits_one_element() {
    session_->set_protection(nlohmann::json::array());
    Explainer ex = session_->explainer({5});
    const ExplainFault f =
        parse_explain_fault({{"target", "activations"}, {"layer", "fc0"}, {"element", 7}, {"bit", 31}}, "test");
    const Explanation e = ex.explain(f);
    const int fc0 = ex.net()->stage_index("fc0");
    QVERIFY(e.has_word);
    const float g = e.golden[fc0].view(-1)[7].item<float>();
    QCOMPARE(e.word.value_before, double(g));
    QCOMPARE(e.faulty[fc0].view(-1)[7].item<float>(), flip_fp32(g, 31));
    QCOMPARE(e.stages[fc0].corrupted, int64_t{g != 0.0f ? 1 : 0});  // -0 == +0 when the ReLU output is 0
    QCOMPARE(e.stages[fc0].max_abs, double(2 * std::abs(g)));
  }

  void bad_faults_name_their_field() {
    auto message = [](const nlohmann::json& j) -> QString {
      try {
        parse_explain_fault(j, "--fault");
      } catch (const ConfigError& e) {
        return e.what();
      }
      return {};
    };
    QVERIFY(message({{"target", "weights"}, {"layer", "conv0"}}).contains("index"));
    QVERIFY(message({{"target", "activations"}, {"layer", "conv0"}, {"value", 1}}).contains("channel"));
    QVERIFY(message({{"target", "activations"}, {"layer", "conv0"}, {"channel", 1}, {"bit", 3}}).contains("element"));
    QVERIFY(message({{"target", "weights"}, {"layer", "conv0"}, {"index", 1}, {"bit", 40}}).contains("bit"));
    QVERIFY(
        message({{"target", "weights"}, {"layer", "conv0"}, {"index", 1}, {"bit", 1}, {"typo", 1}}).contains("typo"));
    QVERIFY(message({{"replay", {{"run", 1}}}}).contains("trial"));
    Explainer ex = session_->explainer({0});
    auto explain_error = [&](const nlohmann::json& j) -> QString {
      try {
        ex.explain(parse_explain_fault(j, "test"));
      } catch (const ConfigError& e) {
        return e.what();
      }
      return {};
    };
    QVERIFY(
        explain_error({{"target", "weights"}, {"layer", "conv9"}, {"index", 0}, {"bit", 1}}).contains("fault.layer"));
    QVERIFY(explain_error({{"target", "weights"}, {"layer", "conv0"}, {"index", 1000000}, {"bit", 1}})
                .contains("fault.index"));
    QVERIFY(explain_error({{"target", "activations"}, {"layer", "conv0"}, {"channel", 99}, {"value", 0}})
                .contains("fault.channel"));
    QVERIFY(message({{"target", "weights"}, {"layer", "conv0"}, {"index", 0}, {"bit", 9}, {"format", "int8"}})
                .contains("bit 9 is outside a int8 word"));
  }

  // Acceptance 2: the CLI's CSVs hold what the engine computes for the same fault and image. A
  // stuck channel keeps every value moderate: a flipped exponent bit drives sums so close to
  // FLT_MAX that another summation order (another process's thread split) may overflow or not.
  void cli_writes_the_engines_numbers() {
    session_->set_protection(nlohmann::json::array());
    const std::string out = test::fresh_dir("explain/cli");
    const ExplainFault stuck =
        parse_explain_fault({{"target", "activations"}, {"layer", "conv0"}, {"channel", 2}, {"value", 4.0}}, "test");
    const QString fault = QString::fromStdString(to_json(stuck).dump());
    test::CliResult r = test::run_cli(dir_, {"explain", QString::fromStdString(project_file_), "--image", "3",
                                             "--fault", fault, "--out", QString::fromStdString(out), "--json"});
    QVERIFY2(r.exit_code == 0, qPrintable(r.describe()));
    Explainer ex = session_->explainer({3});
    const Explanation e = ex.explain(stuck);
    QVERIFY(e.stages.back().corrupted > 0);

    const auto prop = csv_rows(out + "/propagation.csv");
    QCOMPARE(prop.size(), e.stages.size() + 1);
    QCOMPARE(prop[0].join(','), QString("stage,kind,max_abs,l2,corrupted,nonfinite,numel"));
    for (size_t i = 0; i < e.stages.size(); ++i) {
      const QStringList& row = prop[i + 1];
      QCOMPARE(row[0], QString::fromStdString(e.stages[i].stage));
      QVERIFY2(same_number(row[2], e.stages[i].max_abs, e.stages[i].max_abs),
               qPrintable(row.join(',') + QString(" vs engine max_abs %1, l2 %2, corrupted %3")
                                              .arg(e.stages[i].max_abs, 0, 'g', 10)
                                              .arg(e.stages[i].l2, 0, 'g', 10)
                                              .arg(e.stages[i].corrupted)));
      QVERIFY2(same_number(row[3], e.stages[i].l2, e.stages[i].l2), qPrintable(row.join(',')));
      QCOMPARE(row[4].toLongLong(), static_cast<long long>(e.stages[i].corrupted));
      QCOMPARE(row[5].toLongLong(), static_cast<long long>(e.stages[i].nonfinite));
    }
    const auto probs = csv_rows(out + "/probabilities.csv");
    QCOMPARE(static_cast<int64_t>(probs.size()), e.golden_probs.size(1) + 1);
    for (int64_t c = 0; c < e.golden_probs.size(1); ++c) {
      QVERIFY(same_number(probs[c + 1][2], e.golden_probs[0][c].item<double>(), 1.0));
      QVERIFY(same_number(probs[c + 1][3], e.faulty_probs[0][c].item<double>(), 1.0));
    }
    // Feature maps of the faulty stage, at the stuck channel (the only one it changes).
    const int conv0 = ex.net()->stage_index("conv0");
    const int64_t channel = worst_channel(e, conv0);
    QCOMPARE(channel, int64_t{2});
    const auto& w = e.golden[conv0];
    const auto maps = csv_rows(out + "/feature_maps.csv");
    QCOMPARE(static_cast<int64_t>(maps.size()), w.size(2) * w.size(3) + 1);
    for (size_t i = 1; i < maps.size(); ++i) {
      const int64_t h = maps[i][1].toLongLong(), x = maps[i][2].toLongLong();
      QCOMPARE(maps[i][0].toLongLong(), static_cast<long long>(channel));
      const double scale = std::max(1.0, e.stages[conv0].max_abs);
      QVERIFY(same_number(maps[i][3], e.golden[conv0][0][channel][h][x].item<double>(), scale));
      QVERIFY(same_number(maps[i][4], e.faulty[conv0][0][channel][h][x].item<double>(), scale));
      QCOMPARE(maps[i][4].toDouble(), 4.0);
    }
    const nlohmann::json j = nlohmann::json::parse(r.out_lines().back().toStdString());
    QCOMPARE(j["faulty_prediction"].get<int64_t>(), e.faulty_pred[0].item<int64_t>());
#ifdef FAULTSCAPE_HAVE_FIGURES
    for (const char* f : {"propagation", "probabilities", "feature_maps"})
      for (const char* ext : {".pdf", ".png"}) QVERIFY2(fs::file_size(out + "/" + f + ext) > 1000, f);
    QVERIFY(j["figures"].get<bool>());
#else
    QVERIFY(!j["figures"].get<bool>());
#endif
    // A bad fault: one clean error naming the field, non-zero exit.
    r = test::run_cli(dir_, {"explain", QString::fromStdString(project_file_), "--image", "3", "--fault",
                             R"({"target":"weights","layer":"conv0","bit":3})", "--out", QString::fromStdString(out)});
    QVERIFY(test::is_clean_error(r, {"index"}));
    r = test::run_cli(dir_, {"explain", QString::fromStdString(project_file_), "--image", "99999", "--fault", fault,
                             "--out", QString::fromStdString(out)});
    QVERIFY(test::is_clean_error(r, {"--image"}));
    r = test::run_cli(dir_, {"explain", QString::fromStdString(project_file_), "--image", "1", "--fault", "{oops",
                             "--out", QString::fromStdString(out)});
    QVERIFY(test::is_clean_error(r, {"--fault", "invalid JSON"}));
  }
};

QTEST_GUILESS_MAIN(TestExplain)
#include "test_explain.moc"
