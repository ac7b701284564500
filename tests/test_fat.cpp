// Fault-aware training: the injection layer against eqs. 1-5 of the FAT paper (values, rates,
// granularity, zero gradients where injected), method 1 / method 2 control (Algorithm 2), the p
// schedule, removal of the training-only layers, dropout at the same positions, the JSON keys.
#include <torch/torch.h>

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
#include "project/config_json.h"
#include "common/json_reader.h"
#include "quant/quant_layers.h"
#include "quant/quantizer.h"
#include "models/summary.h"
#include "train/trainer.h"

#include "small_synthetic.h"

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

  // Issue 14 fix 10: 3- and 4-bit activations get the paper's extremes and zero, {-a, 0, a}, not
  // every one of their 7 / 15 levels; 1 bit stays {-a, a}. The values are levels of the quantizer
  // bit for bit (what a stuck code decodes to), so they are compared exactly.
  void autoStuckValuesPerActivationWidth() {
    DatasetSplit data = synthetic_data();
    for (int bits : {1, 2, 3, 4, 8}) {
      ModelConfig m;
      m.name = "lenet5";
      m.act_bits = bits;
      m.act_clip = 1.5;
      Network net = build_network(m, data.train.image_shape(), data.train.num_classes);
      FatConfig c;
      c.method = 1;
      FaultAwareTraining fat(net, c, 3, 1);
      const std::vector<double> levels = quant_levels(bits, 1.5);
      const std::vector<double> expected = bits == 1 ? levels : std::vector<double>{levels.front(), 0.0, levels.back()};
      QCOMPARE(expected.front(), -1.5);
      QCOMPARE(expected.back(), 1.5);
      for (const auto& pt : fat.points()) QCOMPARE(pt.layer->stuck_values(), expected);
      QCOMPARE(auto_stuck_values(net, fat.points().front().stage), expected);
    }
  }

  // Issue 14 fix 10: with a learnable clip the auto values follow the bound as training moves it,
  // instead of staying at the bound the network had when training started.
  void autoStuckValuesFollowLearnableClip() {
    DatasetSplit data = synthetic_data();
    ModelConfig m;
    m.name = "lenet5";
    m.act_bits = 3;
    m.act_clip = 1.0;
    m.learnable_clip = true;
    seed_everything(5);
    Network net = build_network(m, data.train.image_shape(), data.train.num_classes);
    FatConfig c;
    c.method = 1;
    c.p = 1.0;  // every element injected: the output holds only stuck values
    FaultAwareTraining fat(net, c, 3, 1);
    fat.begin_epoch(1);
    // A training step's worth of change, made directly: every clip bound to 2.5.
    {
      torch::NoGradGuard no_grad;
      for (auto& p : net->named_parameters())
        if (p.key().find("bound") != std::string::npos) p.value().fill_(2.5);
    }
    net->train();
    const auto& conv0 = fat.points().front();
    QCOMPARE(conv0.name, std::string("conv0"));
    // The quantizer's levels at the new bound, computed as fake_quantize computes them: exact.
    const std::vector<double> levels = quant_levels(3, 2.5);
    QCOMPARE(conv0.layer->stuck_values(), (std::vector<double>{levels.front(), 0.0, levels.back()}));
    QVERIFY(std::abs(levels.back() - 2.5) < 1e-6);  // not the 1.0 of the start
    torch::Tensor out = net->forward_range(data.train.images.slice(0, 0, 8), 0, 1);
    // Three fractions k / N summed in double: 1 up to a few ulps.
    QVERIFY(std::abs(fraction(out, levels.back()) + fraction(out, levels.front()) + fraction(out, 0.0) - 1.0) < 1e-12);
    // Each value takes p/3 of the 8 x 6 channel maps: P(fewer than 5 of 48) < 1e-4.
    QVERIFY(fraction(out, levels.back()) > 0.1);
    // The injected values pass no gradient to the bound (eq. 3: a fault does not train the clip).
    net->zero_grad();
    out.sum().backward();
    for (auto& p : net->named_parameters())
      if (p.key().rfind("conv0", 0) == 0 && p.key().find("bound") != std::string::npos) {
        QVERIFY(!p.value().grad().defined() || p.value().grad().abs().sum().item<double>() == 0.0);
      }
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
