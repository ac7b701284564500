// Channel vulnerability and pruning (hardening paper 002): pruning shrinks tensors and computes what
// the original computes with those channels zeroed, a pruned model file reloads narrowed, eq. 1
// against a direct computation, rank correlation, the measured stuck-at ranking, a prune study, and
// a project experiment's prune step (what evaluation and the campaign then measure).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include <filesystem>

#include "common/error.h"
#include "common/json_reader.h"
#include "models/channel_layers.h"
#include "models/model_io.h"
#include "models/summary.h"
#include "models/zoo.h"
#include "prune/channel_prune.h"
#include "prune/prune_study.h"
#include "prune/rank_correlation.h"
#include "prune/stuck_ranking.h"
#include "prune/vulnerability.h"
#include "project/project.h"
#include "quant/quant_layers.h"
#include "runtime/runtime.h"
#include "store/result_store.h"
#include "study/experiment_runner.h"
#include "train/trainer.h"

#include "small_synthetic.h"
#include "test_support.h"

#include <QtTest>

using namespace faultscape;

namespace {

Network float_model(const DatasetSplit& data, const std::string& name, double width = 1.0) {
  ModelConfig m;
  m.name = name;
  m.width = width;
  seed_everything(9);
  Network net = build_network(m, data.train.image_shape(), data.train.num_classes);
  net->eval();
  return net;
}

// The original network's output with channels `drop` of stage `stage` forced to zero.
torch::Tensor zeroed_output(Network& net, const torch::Tensor& x, int stage, const std::vector<int64_t>& drop) {
  torch::NoGradGuard no_grad;
  torch::Tensor a = net->forward_range(x, 0, stage + 1).clone();
  a.index_fill_(1, torch::tensor(drop, torch::kLong), 0.0);
  return net->forward_range(a, stage + 1, net->size());
}

}  // namespace

class TestPrune : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    tune_process();
    set_threads(2);
    torch::manual_seed(11);
  }

  // Pruning shrinks the tensors and computes exactly what the original computes with those channels
  // zeroed: into a conv (through pooling), into a linear layer through flattening (lenet5: 2x2
  // positions per channel; cnv: 1x1), and linear -> linear with batch norm.
  void prunedEqualsZeroedChannels() {
    DatasetSplit data = synthetic_data();
    torch::Tensor x = data.test.images.narrow(0, 0, 16);
    struct Case {
      std::string model;
      std::string stage;
      std::vector<int64_t> drop;
    };
    for (const Case& c :
         {Case{"lenet5", "conv0", {1, 4}}, Case{"lenet5", "conv1", {0, 7, 15}}, Case{"lenet5", "fc0", {3, 50, 119}},
          Case{"cnv", "conv1", {2, 5}}, Case{"cnv", "conv5", {0, 31}}, Case{"cnv", "fc0", {1, 2, 3}}}) {
      Network net = float_model(data, c.model, c.model == "cnv" ? 0.125 : 1.0);
      const int s = net->stage_index(c.stage);
      QVERIFY(s >= 0);
      torch::Tensor expected = zeroed_output(net, x, s, c.drop);
      const int64_t params_before = summarize(net).params;
      std::vector<ChannelScores> scores = channel_l1_norms(net, {c.stage});
      const int64_t channels = static_cast<int64_t>(scores.front().score.size());
      QCOMPARE(prune_by_scores(net, scores, {c.drop}), static_cast<int64_t>(c.drop.size()));
      torch::Tensor got;
      {
        torch::NoGradGuard no_grad;
        got = net->forward(x);
      }
      QVERIFY2(torch::allclose(got, expected, 1e-4, 1e-5), (c.model + " " + c.stage).c_str());
      QCOMPARE(channel_l1_norms(net, {c.stage}).front().score.size(), size_t(channels - c.drop.size()));
      QVERIFY(summarize(net).params < params_before);
    }
    Network net = float_model(data, "lenet5");
    // A pruned model file reloads narrowed, with the same outputs.
    prune_stage_channels(net, net->stage_index("conv1"), {0, 2, 3, 9});
    prune_stage_channels(net, net->stage_index("fc0"), {5, 6, 7});
    const std::string file = test::test_path("prune/pruned_lenet5.pt");
    save_model(net, file, {});
    LoadedModel loaded = load_model(file);
    QCOMPARE(summarize(loaded.net).params, summarize(net).params);
    {
      torch::NoGradGuard no_grad;
      net->eval();
      QVERIFY(torch::equal(loaded.net->forward(x), net->forward(x)));
    }
    net = float_model(data, "lenet5");
    QVERIFY_THROWS_EXCEPTION(ModelError, prune_stage_channels(net, net->stage_index("conv0"), {3, 1}));
    QVERIFY_THROWS_EXCEPTION(ModelError, prune_stage_channels(net, net->stage_index("pool0"), {0}));
  }

  // Eq. 1 against a direct computation on one image: sum_k |sum_w w d(y_t - y_k)/dw| per filter.
  void vulnerabilityMatchesDefinition() {
    DatasetSplit data = synthetic_data();
    Network net = float_model(data, "lenet5");
    Dataset one = data.test;
    one.images = data.test.images.narrow(0, 0, 1);
    one.labels = data.test.labels.narrow(0, 0, 1);
    std::vector<ChannelScores> v = channel_vulnerability(net, one, 1, 1, {"conv1"});
    QCOMPARE(v.size(), size_t{1});
    auto* conv = net->stage(net->stage_index("conv1")).module->ptr(0)->as<QuantConv2dImpl>();
    torch::Tensor logits = net->forward(one.images);
    const int64_t t = logits.argmax(1).item<int64_t>();
    std::vector<double> expected(conv->conv->weight.size(0), 0.0);
    for (int64_t k = 0; k < logits.size(1); ++k) {
      if (k == t) continue;
      torch::Tensor g = torch::autograd::grad({logits[0][t] - logits[0][k]}, {conv->conv->weight}, {}, true)[0];
      torch::Tensor per_filter = (g * conv->conv->weight).flatten(1).sum(1).abs();
      for (size_t c = 0; c < expected.size(); ++c) expected[c] += per_filter[c].item<double>();
    }
    for (size_t c = 0; c < expected.size(); ++c)
      QVERIFY(std::abs(v[0].score[c] - expected[c]) <= 1e-4 * std::max(1.0, expected[c]));
    QVERIFY(*std::max_element(expected.begin(), expected.end()) > 0);
  }

  void spearmanRanks() {
    QCOMPARE(average_ranks({10, 30, 20, 20}), (std::vector<double>{1, 4, 2.5, 2.5}));
    QCOMPARE(spearman({1, 2, 3, 4}, {10, 200, 300, 4000}), 1.0);
    QCOMPARE(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
    QVERIFY(std::isnan(spearman({1, 1, 1}, {1, 2, 3})));
    QVERIFY(std::abs(spearman({1, 2, 3, 4, 5}, {2, 1, 4, 3, 5}) - 0.8) < 1e-12);
  }

  // The measured ranking has one bounded score per channel and leaves the network unchanged;
  // pruning + fine-tuning reports smaller params and MACs and the remaining channels.
  void stuckRankingAndPruneStudy() {
    DatasetSplit data = synthetic_data();
    Network net = float_model(data, "lenet5");
    torch::Tensor before = net->forward(data.test.images).detach();
    auto drops = measured_stuck_drop(net, data.test, {net->stage_index("conv0")}, {0.0, 50.0}, 64, 32);
    QCOMPARE(drops.front().score.size(), size_t{6});
    for (double d : drops.front().score) QVERIFY(d >= -100 && d <= 100);
    QVERIFY(torch::equal(net->forward(data.test.images).detach(), before));
    PruneConfig pc;
    pc.ratio = 0.5;
    pc.score_images = 64;
    pc.fine_tune.epochs = 1;
    pc.fine_tune.batch_size = 64;
    PruneReport r = prune_and_fine_tune(net, data, pc);
    QVERIFY(r.removed_channels > 0);
    QVERIFY(r.pruned.params < r.before.params);
    QVERIFY(r.pruned.macs < r.before.macs);
    QCOMPARE(r.fine_tuned.params, r.pruned.params);
    QCOMPARE(r.fine_tuning.epochs.size(), size_t{1});
    QCOMPARE(r.to_json().at("channels_after").at("conv0").get<int64_t>(), int64_t{3});
  }

  // An experiment's "prune" step (hardening paper, section IV): conv layers lose `ratio` of their
  // channels, linear layers `linear_ratio`; evaluation and the campaign measure the pruned,
  // fine-tuned network (the accuracy the prune run recorded after fine-tuning, same images);
  // the pruned model file loads narrowed; a second run reuses the prune run; bad values are named.
  void projectPruneStep() {
    using nlohmann::json;
    const std::string dir = test::fresh_dir("prune_step");
    const json experiment = {{"name", "pruned"},
                             {"dataset", {{"name", "synthetic"}, {"synthetic", {{"train", 128}, {"test", 64}}}}},
                             {"model", {{"name", "lenet5"}}},
                             {"training", {{"epochs", 1}, {"batch_size", 32}}},
                             {"prune",
                              {{"ratio", 0.5},
                               {"linear_ratio", 0.25},
                               {"score_images", 64},
                               {"fine_tune", {{"epochs", 1}, {"batch_size", 32}}}}},
                             {"faults", {{"kind", "bitflip"}, {"target", "weights"}, {"format", "fp32"}}},
                             {"campaign", {{"kind", "ber_sweep"}, {"bers", {1e-9}}, {"trials", 1}}}};
    const json document = {
        {"name", "p"}, {"seed", 1}, {"threads", 1}, {"output_dir", dir}, {"experiments", {experiment}}};
    const Project p = parse_project(document, "p");
    const Experiment& e = p.experiments.at(0);
    QVERIFY(e.prunes);
    QCOMPARE(e.prune.ratio_for(true), 0.25);
    QVERIFY(to_json(parse_project(to_json(p), "again").experiments.at(0)) == to_json(e));  // round trip
    ResultStore store(p.database_path());
    const ExperimentOutcome first = run_experiment(p, e, store, {});
    const json& pruning = first.pruning;
    QVERIFY(pruning.is_object());
    QVERIFY(first.prune_run > 0);
    // Per layer: n - floor(ratio * n) channels stay, by the layer's kind (logits untouched).
    const DatasetSplit data = load_dataset(e.dataset);
    Network original = build_network(e.model, data.train.image_shape(), data.train.num_classes);
    const json& after = pruning.at("channels_after");
    QVERIFY(after.size() >= 3);
    for (const ChannelLayer& l : channel_layers(original)) {
      const std::string name = original->stage(l.stage).name;
      if (!after.contains(name)) continue;
      const int64_t n = l.channels();
      const auto drop = static_cast<int64_t>(std::floor((l.linear ? 0.25 : 0.5) * static_cast<double>(n)));
      QCOMPARE(after.at(name).get<int64_t>(), n - drop);
    }
    QVERIFY(pruning["pruned"]["params"].get<int64_t>() < pruning["before"]["params"].get<int64_t>());
    QCOMPARE(first.evaluation.accuracy, pruning["fine_tuned"]["accuracy"].get<double>());
    // The campaign measured the pruned file's network, which loads narrowed.
    QCOMPARE(first.model_path, (std::filesystem::path(dir) / "p" / "pruned.seed1.pruned.pt").string());
    const std::vector<RunRow> sweeps = store.runs({"pruned", "ber_sweep", "complete"});
    QCOMPARE(sweeps.size(), size_t{1});
    QCOMPARE(sweeps[0].config["model_sha256"].get<std::string>(), first.model_sha256);
    Network reloaded = load_network(first.model_path, data.test.image_shape(), data.test.num_classes);
    QCOMPARE(channel_layers(reloaded, {"conv0"}).at(0).channels(), int64_t{3});
    const std::vector<RunRow> runs = store.runs({"pruned", "prune", "complete"});
    QCOMPARE(runs.size(), size_t{1});
    QCOMPARE(runs[0].summary["model_sha256"].get<std::string>(), first.model_sha256);
    // Again: the prune run is reused (same file, same numbers), nothing pruned twice.
    const ExperimentOutcome second = run_experiment(p, e, store, {});
    QCOMPARE(second.prune_run, int64_t{0});
    QCOMPARE(second.model_sha256, first.model_sha256);
    QCOMPARE(second.evaluation.accuracy, first.evaluation.accuracy);
    QCOMPARE(store.runs({"pruned", "prune", ""}).size(), size_t{1});
    // Bad values name their field.
    for (const auto& [pointer, value, field] : std::vector<std::tuple<std::string, json, std::string>>{
             {"/prune/ratio", 1.0, "prune.ratio"},
             {"/prune/criterion", "random", "prune.criterion"},
             {"/prune/fine_tune/typo", 1, "prune.fine_tune.typo"}}) {
      json bad = document;
      bad["experiments"][0][json::json_pointer(pointer)] = value;
      try {
        parse_project(bad, "p");
        QFAIL(pointer.c_str());
      } catch (const ValidationError& error) {
        QVERIFY2(std::string(error.what()).find(field) != std::string::npos, error.what());
      }
    }
  }
};

QTEST_GUILESS_MAIN(TestPrune)
#include "test_prune.moc"
