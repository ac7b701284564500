// Fault-aware training: the injection layer against eqs. 1-5 of the FAT paper (values, rates,
// granularity, zero gradients where injected), method 1 / method 2 control (Algorithm 2), the p
// schedule, removal of the training-only layers, dropout at the same positions, the JSON keys.
#include <torch/torch.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/runtime.h"
#include "data/dataset.h"
#include "ftt/dropout_layer.h"
#include "ftt/fault_aware.h"
#include "ftt/injection_layer.h"
#include "ftt/training_variants.h"
#include "models/model_io.h"
#include "models/zoo.h"
#include "prune/channel_prune.h"
#include "prune/prune_study.h"
#include "prune/rank_correlation.h"
#include "prune/stuck_ranking.h"
#include "prune/vulnerability.h"
#include "project/config_json.h"
#include "common/json_reader.h"
#include "quant/quant_layers.h"
#include "models/summary.h"
#include "train/trainer.h"

#include "small_synthetic.h"

#include <QDir>
#include <QtTest>

using namespace faultscape;

namespace {

Network quantized_lenet(const DatasetSplit& data) {
  ModelConfig m;
  m.name = "lenet5";
  m.weight_bits = 2;
  m.act_bits = 2;
  seed_everything(3);
  return build_network(m, data.train.image_shape(), data.train.num_classes);
}

// Fraction of elements of t equal to v.
double fraction(const torch::Tensor& t, double v) { return t.eq(v).to(torch::kDouble).mean().item<double>(); }

// 5 standard deviations of a binomial proportion: a correct layer fails about once in 3 million runs.
double tolerance(double p, int64_t n) { return 5.0 * std::sqrt(p * (1 - p) / static_cast<double>(n)); }

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

std::vector<std::string> child_names(Network& net) {
  std::vector<std::string> names;
  for (const auto& kv : net->named_modules()) names.push_back(kv.key());
  return names;
}

}  // namespace

class TestFat : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    tune_process();
    set_threads(2);
    torch::manual_seed(11);
  }

  // Eqs. 1-2 with a given r: thresholds p (j+1) / M select the stuck value, r >= p keeps the input.
  void thresholdsSplitPEvenly() {
    ErrorInjection layer(std::vector<double>{-1.0, 0.0, 1.0}, 0.3, Granularity::Element);
    torch::Tensor x = torch::full({7}, 0.5);
    torch::Tensor r = torch::tensor({0.0, 0.099, 0.1, 0.199, 0.2, 0.299, 0.3});
    torch::Tensor y = layer->inject(x, r);
    torch::Tensor expected = torch::tensor({-1.0, -1.0, 0.0, 0.0, 1.0, 1.0, 0.5});
    QVERIFY(torch::equal(y, expected));
  }

  // Element granularity: each stuck value at rate p / M, the rest untouched.
  void elementRates() {
    const double p = 0.2;
    ErrorInjection layer(std::vector<double>{-1.0, 1.0}, p, Granularity::Element);
    layer->train();
    torch::Tensor x = torch::full({4000, 8}, 0.5);
    torch::Tensor y = layer(x);
    const int64_t n = y.numel();
    QVERIFY(std::abs(fraction(y, -1.0) - p / 2) < tolerance(p / 2, n));
    QVERIFY(std::abs(fraction(y, 1.0) - p / 2) < tolerance(p / 2, n));
    QCOMPARE(fraction(y, -1.0) + fraction(y, 1.0) + fraction(y, 0.5), 1.0);
  }

  // Eq. 4: a whole feature map (per image and channel) is stuck or not.
  void channelGranularity() {
    const double p = 0.3;
    ErrorInjection layer(std::vector<double>{-1.0, 0.0, 1.0}, p, Granularity::Channel);
    layer->train();
    torch::Tensor x = torch::rand({300, 16, 3, 3}) * 0.4 + 0.3;  // never a stuck value
    torch::Tensor y = layer(x);
    torch::Tensor changed = y.ne(x).flatten(2);             // [b, c, h*w]
    QVERIFY(torch::equal(changed.all(2), changed.any(2)));  // all or nothing per map
    torch::Tensor maps = changed.all(2);
    const int64_t n = maps.numel();
    QVERIFY(std::abs(maps.to(torch::kDouble).mean().item<double>() - p) < tolerance(p, n));
    torch::Tensor stuck = y.flatten(2);
    QVERIFY(torch::equal(stuck.amin(2).masked_select(maps), stuck.amax(2).masked_select(maps)));
    for (double v : {-1.0, 0.0, 1.0}) {
      double rate = stuck.select(2, 0).masked_select(maps).eq(v).to(torch::kDouble).sum().item<double>() / n;
      QVERIFY(std::abs(rate - p / 3) < tolerance(p / 3, n));
    }
  }

  // Eq. 5: one position stuck across every channel of an image.
  void pixelGranularity() {
    const double p = 0.25;
    ErrorInjection layer(std::vector<double>{-1.0, 1.0}, p, Granularity::Pixel);
    layer->train();
    torch::Tensor x = torch::rand({200, 8, 4, 4}) * 0.4 + 0.3;
    torch::Tensor y = layer(x);
    torch::Tensor changed = y.ne(x);  // [b, c, h, w]
    QVERIFY(torch::equal(changed.all(1), changed.any(1)));
    torch::Tensor pixels = changed.all(1);
    QVERIFY(std::abs(pixels.to(torch::kDouble).mean().item<double>() - p) < tolerance(p, pixels.numel()));
    QVERIFY(torch::equal(y.amin(1).masked_select(pixels), y.amax(1).masked_select(pixels)));
  }

  // Eq. 3: the gradient is exactly zero where a value was injected and passes unscaled elsewhere.
  void gradientZeroWhereInjected() {
    for (Granularity g : {Granularity::Element, Granularity::Channel, Granularity::Pixel}) {
      ErrorInjection layer(std::vector<double>{-1.0, 0.0, 1.0}, 0.4, g);
      layer->train();
      torch::Tensor x = (torch::rand({16, 6, 5, 5}) * 0.4 + 0.3).requires_grad_(true);
      torch::Tensor w = torch::randn({16, 6, 5, 5});
      torch::Tensor y = layer(x);
      (y * w).sum().backward();
      torch::Tensor injected = y.ne(x.detach());
      QVERIFY(injected.any().item<bool>());
      QCOMPARE(x.grad().masked_select(injected).abs().max().item<float>(), 0.0f);
      QVERIFY(torch::equal(x.grad().masked_select(~injected), w.masked_select(~injected)));
    }
  }

  // Disabled, evaluation mode or p = 0: the layer passes its input through.
  void transparentWhenOff() {
    ErrorInjection layer(std::vector<double>{-1.0, 1.0}, 0.5, Granularity::Element);
    torch::Tensor x = torch::rand({64, 10});
    layer->train();
    layer->set_enabled(false);
    QVERIFY(torch::equal(layer(x), x));
    layer->set_enabled(true);
    layer->eval();
    QVERIFY(torch::equal(layer(x), x));
    layer->train();
    layer->set_p(0.0);
    QVERIFY(torch::equal(layer(x), x));
    QVERIFY_THROWS_EXCEPTION(ConfigError, layer->set_p(1.5));
  }

  // "auto" stuck values: the levels of the activation quantizer, through pooling stages too.
  void autoStuckValuesAndPositions() {
    DatasetSplit data = synthetic_data();
    Network net = quantized_lenet(data);
    FatConfig c;
    c.method = 1;
    FaultAwareTraining fat(net, c, 3, 1);
    std::vector<std::string> names;
    for (const auto& pt : fat.points()) names.push_back(pt.name);
    QCOMPARE(names, (std::vector<std::string>{"conv0", "pool0", "conv1", "pool1", "fc0", "fc1"}));
    for (const auto& pt : fat.points()) QCOMPARE(pt.layer->stuck_values(), (std::vector<double>{-1.0, 0.0, 1.0}));
    ModelConfig fp;
    fp.name = "lenet5";
    Network float_net = build_network(fp, data.train.image_shape(), data.train.num_classes);
    QVERIFY_THROWS_EXCEPTION(ConfigError, FaultAwareTraining(float_net, c, 3, 1));
    c.stuck_values = {0.0};
    FaultAwareTraining explicit_values(float_net, c, 3, 1);
    QCOMPARE(explicit_values.points().front().layer->stuck_values(), std::vector<double>{0.0});
    c.layers = {"nope"};
    QVERIFY_THROWS_EXCEPTION(ConfigError, FaultAwareTraining(float_net, c, 3, 1));
  }

  // Method 1: every layer on at p (scheduled linearly from p to p_end when given).
  void method1AllLayersAndSchedule() {
    DatasetSplit data = synthetic_data();
    Network net = quantized_lenet(data);
    FatConfig c;
    c.method = 1;
    c.p = 0.1;
    c.p_end = 0.3;
    FaultAwareTraining fat(net, c, 5, 1);
    QCOMPARE(fat.enabled_count(), 0);
    fat.begin_epoch(1);
    QCOMPARE(fat.enabled_count(), static_cast<int>(fat.points().size()));
    QCOMPARE(fat.points().front().layer->p(), 0.1);
    fat.begin_epoch(3);
    QVERIFY(std::abs(fat.points().back().layer->p() - 0.2) < 1e-12);
    fat.begin_epoch(5);
    QVERIFY(std::abs(fat.points().back().layer->p() - 0.3) < 1e-12);
  }

  // Algorithm 2 inside real training: exactly one layer injects during every step of every epoch,
  // the choice varies between epochs, and afterwards the network has its plain modules again.
  void method2OneLayerPerEpoch() {
    DatasetSplit data = synthetic_data();
    Network net = quantized_lenet(data);
    const std::vector<std::string> plain_modules = child_names(net);
    auto plain_keys = net->named_parameters().keys();
    TrainConfig t;
    t.epochs = 12;
    t.batch_size = 64;
    t.seed = 4;
    t.fault_aware.method = 2;
    t.fault_aware.p = 0.1;
    TrainingVariants variants(net, t);
    QVERIFY(variants.fat());
    QCOMPARE(variants.fat()->points().size(), size_t{6});
    TrainContext ctx;
    variants.install(ctx.hooks);
    int steps = 0;
    std::vector<int> enabled_per_step;
    ctx.hooks.after_step = [&](Network&) {
      ++steps;
      enabled_per_step.push_back(variants.fat()->enabled_count());
    };
    train_network(net, data, t, ctx);
    QCOMPARE(steps, 12 * 2);
    for (int e : enabled_per_step) QCOMPARE(e, 1);
    QCOMPARE(variants.fat()->choices().size(), size_t{12});
    std::set<int> distinct(variants.fat()->choices().begin(), variants.fat()->choices().end());
    QVERIFY(distinct.size() > 1);
    QCOMPARE(variants.describe().at("fault_aware").at("epoch_layers").size(), size_t{12});
    variants.finish();
    QCOMPARE(child_names(net), plain_modules);
    QCOMPARE(net->named_parameters().keys(), plain_keys);
  }

  // Removing the layers leaves the same function: outputs equal before attaching and after removal.
  void removalRestoresNetwork() {
    DatasetSplit data = synthetic_data();
    Network net = quantized_lenet(data);
    net->eval();
    torch::Tensor x = data.test.images.narrow(0, 0, 8);
    torch::Tensor before = net->forward(x);
    TrainConfig t;
    t.fault_aware.method = 1;
    t.dropout.kind = "dropout2d";
    t.dropout.p = 0.2;
    TrainingVariants variants(net, t);
    int injection = 0, dropout = 0;
    for (const auto& kv : net->named_modules()) {
      injection += dynamic_cast<ErrorInjectionImpl*>(kv.value().get()) != nullptr;
      dropout += dynamic_cast<StageDropoutImpl*>(kv.value().get()) != nullptr;
    }
    QCOMPARE(injection, 6);
    QCOMPARE(dropout, 6);
    variants.finish();
    for (const auto& kv : net->named_modules()) {
      QVERIFY(!dynamic_cast<ErrorInjectionImpl*>(kv.value().get()));
      QVERIFY(!dynamic_cast<StageDropoutImpl*>(kv.value().get()));
    }
    QVERIFY(torch::equal(net->forward(x), before));
  }

  // Dropout2D at the same positions: whole maps zeroed, kept ones scaled by 1 / (1 - p) (eq. 6).
  void dropout2dDropsChannels() {
    const double p = 0.25;
    StageDropout d("dropout2d", p);
    d->train();
    torch::Tensor x = torch::rand({100, 12, 3, 3}) + 0.5;
    torch::Tensor y = d(x);
    torch::Tensor zero = y.eq(0).flatten(2);
    QVERIFY(torch::equal(zero.all(2), zero.any(2)));
    torch::Tensor kept = ~zero.all(2);
    torch::Tensor ratio = (y / x).flatten(2).select(2, 0).masked_select(kept);
    QVERIFY(torch::allclose(ratio, torch::full_like(ratio, 1.0 / (1 - p))));
    QVERIFY(std::abs(zero.all(2).to(torch::kDouble).mean().item<double>() - p) < tolerance(p, 1200));
    d->eval();
    QVERIFY(torch::equal(d(x), x));
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
    const std::string file = QDir::temp().filePath("faultscape_pruned_lenet5.pt").toStdString();
    save_model(net, file, {});
    LoadedModel loaded = load_model(file);
    std::remove(file.c_str());
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

  // JSON: every problem named with its field; a written config reads back the same.
  void jsonKeys() {
    nlohmann::json bad = {
        {"fault_aware",
         {{"method", 3}, {"p", 2}, {"granularity", "row"}, {"stuck_values", "some"}, {"probability", 0.1}}},
        {"dropout", {{"kind", "spatial"}, {"p", 1.0}}}};
    try {
      parse_train_config(bad, "t.json");
      QFAIL("no error");
    } catch (const ValidationError& e) {
      QCOMPARE(e.problems().size(), size_t{7});
      std::string all;
      for (const auto& p : e.problems()) all += p + "\n";
      for (const char* field : {"fault_aware.method", "fault_aware.p", "fault_aware.granularity",
                                "fault_aware.stuck_values", "fault_aware.probability", "dropout.kind", "dropout.p"})
        QVERIFY2(all.find(field) != std::string::npos, field);
    }
    QVERIFY_THROWS_EXCEPTION(ValidationError, parse_train_config({{"fault_aware", 0.1}}, "t.json"));
    nlohmann::json good = {{"fault_aware",
                            {{"method", 2},
                             {"p", 0.05},
                             {"p_end", 0.15},
                             {"granularity", "pixel"},
                             {"stuck_values", {-1, 1}},
                             {"layers", {"conv0"}}}},
                           {"dropout", {{"kind", "dropout"}, {"p", 0.3}}}};
    TrainConfig c = parse_train_config(good, "t.json");
    QCOMPARE(c.fault_aware.method, 2);
    QCOMPARE(c.fault_aware.p_end, 0.15);
    QCOMPARE(c.fault_aware.granularity, std::string("pixel"));
    QCOMPARE(c.fault_aware.stuck_values, (std::vector<double>{-1, 1}));
    QCOMPARE(c.dropout.kind, std::string("dropout"));
    TrainConfig back = parse_train_config(to_json(c), "written");
    QCOMPARE(to_json(back), to_json(c));
    // Plain training writes neither key, so its configuration (and hash) is unchanged.
    QVERIFY(!to_json(TrainConfig{}).contains("fault_aware"));
    QVERIFY(!to_json(TrainConfig{}).contains("dropout"));
  }
};

QTEST_GUILESS_MAIN(TestFat)
#include "test_fat.moc"
