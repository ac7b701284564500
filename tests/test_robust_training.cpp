// Robust training (core/ftt/): the learned-threshold gate's forward and surrogate backward on
// small tensors, threshold initialisation from a percentile, the regularisers' gradient
// direction, model files keeping the gates (same thresholds, same outputs), FTT bit-flip
// training restoring the clean weights exactly, saturating-weight training and its decode, the
// JSON keys with path-named problems.
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <limits>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/dataset.h"
#include "ftt/training_variants.h"
#include "models/model_io.h"
#include "models/stored_weight.h"
#include "protect/schemes.h"
#include "models/threshold_relu.h"
#include "models/zoo.h"
#include "project/config_json.h"
#include "common/json_reader.h"
#include "prune/channel_prune.h"
#include "quant/quant_layers.h"
#include "ftt/robust_training.h"
#include "train/evaluate.h"
#include "train/trainer.h"

#include "small_synthetic.h"

#include <QtTest>

using namespace faultscape;

namespace {

Network lenet(const DatasetSplit& data, int weight_bits = 0, int act_bits = 0, bool learnable = false) {
  ModelConfig m;
  m.name = "lenet5";
  m.weight_bits = weight_bits;
  m.act_bits = act_bits;
  m.learnable_clip = learnable;
  seed_everything(3);
  return build_network(m, data.train.image_shape(), data.train.num_classes);
}

std::vector<torch::Tensor> snapshot(Network& net) {
  std::vector<torch::Tensor> out;
  for (const auto& p : net->parameters()) out.push_back(p.detach().clone());
  return out;
}

bool same_bits(const std::vector<torch::Tensor>& a, Network& net) {
  auto params = net->parameters();
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], params[i].detach())) return false;
  return true;
}

}  // namespace

class TestRobustTraining : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { torch::set_num_threads(1); }

  // y = x where x <= T, else 0; NaN and +inf are filtered too.
  void gateForward() {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    torch::Tensor x = torch::tensor({0.0f, 0.5f, 2.0f, 2.5f, 100.0f, nan, inf});
    torch::Tensor t = torch::full({}, 2.0);
    torch::Tensor y = threshold_gate(x, t, 10);
    QVERIFY(torch::equal(y, torch::tensor({0.0f, 0.5f, 2.0f, 0.0f, 0.0f, 0.0f, 0.0f})));
    // Not profiled (+inf): the module passes its input unchanged.
    ThresholdReLU gate(0);
    QVERIFY(!gate->profiled());
    torch::Tensor a = torch::tensor({1.0f, 1e30f});
    QVERIFY(torch::equal(gate->forward(a), a));
    gate->threshold.data().fill_(1.0);
    QVERIFY(torch::equal(gate->forward(a), torch::tensor({1.0f, 0.0f})));
  }

  // dy/dx = 1[x <= T]; dy/dT = sum x k s (1 - s), k = sharpness / T, s = sigmoid(k (T - x)).
  void gateBackward() {
    torch::Tensor x = torch::tensor({0.2, 1.0, 1.9, 2.1, 3.0, 8.0}, torch::kDouble).requires_grad_(true);
    torch::Tensor t = torch::full({}, 2.0, torch::kDouble).requires_grad_(true);
    const double sharpness = 10;
    torch::Tensor g = torch::tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, torch::kDouble);
    (threshold_gate(x, t, sharpness) * g).sum().backward();
    QVERIFY(torch::equal(x.grad(), torch::tensor({1.0, 2.0, 3.0, 0.0, 0.0, 0.0}, torch::kDouble)));
    double expected = 0;
    auto xs = x.detach();
    for (int i = 0; i < 6; ++i) {
      const double xi = xs[i].item<double>(), k = sharpness / 2.0;
      const double s = 1.0 / (1.0 + std::exp(-k * (2.0 - xi)));
      expected += g[i].item<double>() * xi * k * s * (1 - s);
    }
    QVERIFY(expected > 0);
    QVERIFY(std::abs(t.grad().item<double>() - expected) < 1e-12);
  }

  // Per-channel thresholds broadcast over dimension 1 (maps and features), and T gets per-channel gradients.
  void perChannelGate() {
    ThresholdReLU gate(3);
    gate->threshold.data().copy_(torch::tensor({0.5f, 1.0f, 2.0f}));
    torch::Tensor x = torch::rand({2, 3, 4, 4}) * 3;
    torch::Tensor y = gate->forward(x);
    torch::Tensor expected =
        torch::where(x <= torch::tensor({0.5f, 1.0f, 2.0f}).view({1, 3, 1, 1}), x, torch::zeros_like(x));
    QVERIFY(torch::equal(y, expected));
    y.sum().backward();
    QCOMPARE(gate->threshold.grad().numel(), int64_t{3});
    QVERIFY(gate->threshold.grad().gt(0).all().item<bool>());
    torch::Tensor f = torch::rand({5, 3}) * 3;
    QVERIFY(torch::equal(gate->forward(f).detach(),
                         torch::where(f <= torch::tensor({0.5f, 1.0f, 2.0f}).view({1, 3}), f, torch::zeros_like(f))));
  }

  // Thresholds start at the requested percentile of the gate's input on the profiling images.
  void thresholdsFromPercentile() {
    DatasetSplit data = synthetic_data();
    Network net = lenet(data);
    torch::Tensor images = data.train.images.narrow(0, 0, 100);
    torch::Tensor relu_out;
    {
      torch::NoGradGuard no_grad;
      net->eval();
      relu_out = net->forward_range(images, 0, 1).clone();  // conv0 + ReLU, before the gates exist
    }
    for (double pct : {100.0, 90.0}) {
      Network fresh = lenet(data);
      LearnedThresholdConfig c;
      c.enabled = true;
      c.granularity = "channel";
      c.init_percentile = pct;
      c.profile_images = 100;
      LearnedThresholdTraining lt(fresh, c, 3);
      QCOMPARE(lt.gates().size(), size_t{4});  // conv0, conv1, fc0, fc1 (not the logits)
      lt.profile(data.train.images);
      QVERIFY(lt.active());
      torch::Tensor rows = relu_out.transpose(0, 1).reshape({relu_out.size(1), -1});
      const int64_t n = rows.size(1);
      const int64_t k = static_cast<int64_t>(std::ceil(pct / 100.0 * n));
      torch::Tensor expected = std::get<0>(rows.kthvalue(k, 1));
      QVERIFY(torch::equal(lt.gates()[0]->threshold.detach(), expected));
      if (pct == 100.0) QVERIFY(torch::equal(expected, std::get<0>(rows.max(1))));
    }
    // Layer granularity: one threshold, the percentile of all of the stage's values.
    Network one = lenet(data);
    LearnedThresholdConfig c;
    c.enabled = true;
    c.init_percentile = 100;
    c.profile_images = 100;
    LearnedThresholdTraining lt(one, c, 1);
    lt.profile(data.train.images);
    QCOMPARE(lt.gates()[0]->threshold.dim(), int64_t{0});
    QCOMPARE(lt.gates()[0]->threshold.item<float>(), relu_out.max().item<float>());
  }

  // The regulariser's gradient pulls every threshold down: lambda (l1) or 2 lambda T (l2).
  void thresholdRegulariser() {
    DatasetSplit data = synthetic_data();
    for (const char* penalty : {"l1", "l2"}) {
      Network net = lenet(data);
      LearnedThresholdConfig c;
      c.enabled = true;
      c.granularity = "channel";
      c.lambda = 0.01;
      c.penalty = penalty;
      LearnedThresholdTraining lt(net, c, 1);
      QCOMPARE(lt.regulariser().item<double>(), 0.0);  // nothing before profiling
      lt.profile(data.train.images);
      lt.regulariser().backward();
      for (const auto& g : lt.gates()) {
        torch::Tensor expected =
            std::string(penalty) == "l1" ? torch::full_like(g->threshold, 0.01) : 0.02 * g->threshold.detach();
        QVERIFY(torch::allclose(g->threshold.grad(), expected));
        QVERIFY(g->threshold.grad().ge(0).all().item<bool>());
      }
      // One plain gradient step on the regulariser lowers every positive threshold.
      std::vector<torch::Tensor> before;
      for (const auto& g : lt.gates()) before.push_back(g->threshold.detach().clone());
      torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(1.0));
      sgd.step();
      for (size_t i = 0; i < before.size(); ++i) {
        torch::Tensor now = lt.gates()[i]->threshold.detach();
        QVERIFY(torch::where(before[i] > 0, now < before[i], now <= before[i]).all().item<bool>());
      }
    }
  }

  // Training with learned thresholds: profiled at the start of the last `epochs` epochs, trained
  // down by a strong regulariser, and still in the network afterwards.
  void trainingKeepsGates() {
    DatasetSplit data = synthetic_data();
    Network net = lenet(data);
    TrainConfig t;
    t.epochs = 2;
    t.batch_size = 16;
    t.lr = 1e-2;
    t.learned_threshold.enabled = true;
    t.learned_threshold.epochs = 1;
    t.learned_threshold.lambda = 1.0;
    t.learned_threshold.profile_images = 128;
    TrainingVariants variants(net, t);
    TrainContext ctx;
    variants.install(ctx.hooks);
    QCOMPARE(variants.robust()->thresholds()->start_epoch(), 2);
    train_network(net, data, t, ctx);
    variants.finish();
    nlohmann::json d = variants.describe().at("learned_threshold");
    QCOMPARE(d.at("gates").size(), size_t{4});
    for (const auto& g : d.at("gates")) {
      QVERIFY(std::isfinite(g.at("threshold").get<double>()));
      QVERIFY(g.at("threshold").get<double>() < g.at("profiled").get<double>());
    }
    QCOMPARE(threshold_record(net).size(), size_t{4});
  }

  // A model file carries the gates: the reloaded network has the same thresholds and outputs.
  void saveLoadRoundTrip() {
    DatasetSplit data = synthetic_data();
    Network net = lenet(data);
    LearnedThresholdConfig c;
    c.enabled = true;
    c.granularity = "channel";
    c.init_percentile = 95;
    LearnedThresholdTraining lt(net, c, 1);
    lt.profile(data.train.images);
    std::filesystem::create_directories(FAULTSCAPE_TEST_TMP);
    const std::string path = std::string(FAULTSCAPE_TEST_TMP) + "/threshold_lenet.pt";
    net->eval();
    save_model(net, path);
    LoadedModel loaded = load_model(path);
    QCOMPARE(loaded.meta.at("threshold_act"), threshold_record(net));
    QCOMPARE(threshold_record(loaded.net), threshold_record(net));
    auto a = net->named_parameters(), b = loaded.net->named_parameters();
    QCOMPARE(a.size(), b.size());
    for (const auto& p : a) {
      QVERIFY(b.contains(p.key()));
      QVERIFY(torch::equal(p.value(), b[p.key()]));
    }
    torch::NoGradGuard no_grad;
    torch::Tensor before = net->forward(data.test.images), after = loaded.net->forward(data.test.images);
    QVERIFY(torch::equal(before, after));
    // The gates change the outputs (95th percentile cuts values), so the comparison is not vacuous.
    Network plain = lenet(data);
    plain->eval();
    QVERIFY(!torch::equal(plain->forward(data.test.images), after));
  }

  // Pruning a gated stage keeps the thresholds of the kept channels: the pruned network computes
  // what the original computes with those channels zeroed, and its model file reloads.
  void pruneGatedNetwork() {
    DatasetSplit data = synthetic_data();
    Network net = lenet(data);
    LearnedThresholdConfig c;
    c.enabled = true;
    c.granularity = "channel";
    c.init_percentile = 95;
    LearnedThresholdTraining lt(net, c, 1);
    lt.profile(data.train.images);
    net->eval();
    torch::NoGradGuard no_grad;
    torch::Tensor x = data.test.images;
    const std::vector<int64_t> keep = {0, 2, 3, 5}, drop = {1, 4};
    // Reference: conv0's output channels 1 and 4 zeroed, the rest of the network unchanged.
    torch::Tensor h = net->forward_range(x, 0, 1).clone();
    h.index_fill_(1, torch::tensor(drop), 0.0);
    torch::Tensor expected = net->forward_range(h, 1, net->size());
    torch::Tensor kept_thresholds = lt.gates()[0]->threshold.index_select(0, torch::tensor(keep)).clone();
    prune_stage_channels(net, 0, keep);
    QCOMPARE(lt.gates()[0]->channels(), int64_t{4});
    QVERIFY(torch::equal(lt.gates()[0]->threshold, kept_thresholds));
    QVERIFY(torch::allclose(net->forward(x), expected, 1e-5, 1e-5));
    std::filesystem::create_directories(FAULTSCAPE_TEST_TMP);
    const std::string path = std::string(FAULTSCAPE_TEST_TMP) + "/threshold_pruned.pt";
    save_model(net, path);
    LoadedModel loaded = load_model(path);
    QVERIFY(torch::equal(loaded.net->forward(x), net->forward(x)));
  }

  // A weight turned huge (an exponent bit flip) blows up the plain network; the gates drop it.
  void gatesBoundBlowUp() {
    DatasetSplit data = synthetic_data();
    Network gated = lenet(data), plain = lenet(data);
    LearnedThresholdConfig c;
    c.enabled = true;
    LearnedThresholdTraining lt(gated, c, 1);
    lt.profile(data.train.images);
    torch::NoGradGuard no_grad;
    gated->eval(), plain->eval();
    for (Network* n : {&gated, &plain}) {
      auto* conv = dynamic_cast<QuantConv2dImpl*>((*n)->stage(0).module->children()[0].get());
      conv->conv->weight.view({-1})[7] = 1e35f;
    }
    torch::Tensor g = gated->forward(data.test.images), p = plain->forward(data.test.images);
    QVERIFY(torch::isfinite(g).all().item<bool>());
    QVERIFY(g.abs().max().item<double>() < 1e3);
    QVERIFY(!torch::isfinite(p).all().item<bool>() || p.abs().max().item<double>() > 1e20);
  }

  // FTT: the faults are really applied, and the clean weights come back bit for bit before each step.
  void bitflipRestoresWeights() {
    DatasetSplit data = synthetic_data();
    Network net = lenet(data);
    BitflipTrainingConfig c;
    c.enabled = true;
    c.ber = 1e-3;
    c.format = "fp32";
    BitflipTraining bf(net, c, 1);
    auto clean = snapshot(net);
    bf.inject();
    QVERIFY(bf.flips() > 0);
    QVERIFY(!same_bits(clean, net));
    torch::Tensor loss = net->forward(data.train.images.narrow(0, 0, 8)).sum();
    QVERIFY(bf.restore(torch::full({}, 1.0)));
    QVERIFY(same_bits(clean, net));
    // A non-finite loss: weights restored, gradients dropped, step skipped.
    bf.inject();
    net->forward(data.train.images.narrow(0, 0, 8)).sum().backward();
    QVERIFY(!bf.restore(torch::full({}, std::nan(""))));
    QVERIFY(same_bits(clean, net));
    for (const auto& p : net->parameters()) QVERIFY(!p.grad().defined());
    QCOMPARE(bf.skipped(), int64_t{1});
    // So is a finite loss above max_loss.
    bf.inject();
    QVERIFY(!bf.restore(torch::full({}, 1e6)));
    QVERIFY(same_bits(clean, net));
    QCOMPARE(bf.skipped(), int64_t{2});
    (void)loss;

    // Through the trainer with a zero learning rate: every step faulted, weights unchanged at the end.
    Network trained = lenet(data);
    auto initial = snapshot(trained);
    TrainConfig t;
    t.epochs = 1;
    t.batch_size = 32;
    t.optimizer = "sgd";
    t.lr = 0;
    t.momentum = 0;
    t.bitflip_training = c;
    // Mantissa flips keep every gradient finite, so SGD at lr 0 leaves the weights exactly as they were.
    t.bitflip_training.bit_field = "mantissa";
    t.bitflip_training.faulty_weight = 1.0;  // the single faulty pass: inject before forward, restore at before_step
    TrainingVariants variants(trained, t);
    TrainContext ctx;
    variants.install(ctx.hooks);
    // The hook order is checked too: at before_step the weights must already be clean.
    auto step = ctx.hooks.before_step;
    int clean_at_step = 0;
    ctx.hooks.before_step = [&](Network& n, const torch::Tensor& l) {
      bool ok = step(n, l);
      clean_at_step += same_bits(initial, n) ? 1 : 0;
      return ok;
    };
    train_network(trained, data, t, ctx);
    variants.finish();
    QCOMPARE(clean_at_step, 4);  // 128 images / 32
    QVERIFY(same_bits(initial, trained));
    nlohmann::json d = variants.describe().at("bitflip_training");
    QCOMPARE(d.at("steps").get<int64_t>(), int64_t{4});
    QVERIFY(d.at("bit_flips").get<int64_t>() > 0);
  }

  // Issue 14 fix 9: the step's gradient is that of (1 - a) L_clean + a L_faulty on the same batch.
  // The faulty gradient is measured on its own with a twin trainer of the same seed (the same
  // faults); 1 - a and a are powers of two here, so the mix differs from the separately computed
  // gradients only by the order of float additions: compared within a few ulps of their size.
  void bitflipMixesCleanAndFaultyLoss() {
    DatasetSplit data = synthetic_data();
    Network net = lenet(data);
    net->train();
    BitflipTrainingConfig c;
    c.enabled = true;
    c.ber = 2e-3;
    c.format = "fp32";
    c.bit_field = "mantissa";  // finite losses: the faulty pass is always used
    c.faulty_weight = 0.25;
    QCOMPARE(BitflipTrainingConfig{}.faulty_weight, 0.5);  // the documented default
    const torch::Tensor x = data.train.images.narrow(0, 0, 32), y = data.train.labels.narrow(0, 0, 32);
    auto loss_of = [&](const torch::Tensor& logits) { return compute_loss("cross_entropy", logits, y); };
    auto grads = [&] {
      std::vector<torch::Tensor> g;
      for (const auto& p : net->parameters()) g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
      return g;
    };
    const auto clean_weights = snapshot(net);
    // The clean gradient, then the faulty one with the twin's faults.
    net->zero_grad();
    const torch::Tensor clean_loss = loss_of(net->forward(x));
    clean_loss.backward();
    const auto g_clean = grads();
    net->zero_grad();
    BitflipTraining twin(net, c, 7);
    twin.inject();
    const torch::Tensor faulty_loss = loss_of(net->forward(x));
    faulty_loss.backward();
    QVERIFY(twin.restore(faulty_loss));
    const auto g_faulty = grads();
    QVERIFY(std::abs(faulty_loss.item<double>() - clean_loss.item<double>()) > 1e-6);  // the faults matter
    // The mixed step as the trainer runs it: clean backward, then faulty_pass.
    net->zero_grad();
    BitflipTraining bf(net, c, 7);
    const torch::Tensor l = loss_of(net->forward(x));
    l.backward();
    const torch::Tensor mixed = bf.faulty_pass(x, l, loss_of);
    QVERIFY(same_bits(clean_weights, net));  // clean again before the optimizer step
    QVERIFY(std::abs(mixed.item<double>() - (0.75 * clean_loss.item<double>() + 0.25 * faulty_loss.item<double>())) <
            1e-6);
    const auto g_mixed = grads();
    for (size_t i = 0; i < g_mixed.size(); ++i) {
      const torch::Tensor expected = 0.75 * g_clean[i] + 0.25 * g_faulty[i];
      const double scale = expected.abs().max().item<double>() + 1e-12;
      QVERIFY2((g_mixed[i] - expected).abs().max().item<double>() <= 1e-5 * scale, std::to_string(i).c_str());
      // And it is neither part alone.
    }
    double off_clean = 0, off_faulty = 0;
    for (size_t i = 0; i < g_mixed.size(); ++i) {
      off_clean = std::max(off_clean, (g_mixed[i] - g_clean[i]).abs().max().item<double>());
      off_faulty = std::max(off_faulty, (g_mixed[i] - g_faulty[i]).abs().max().item<double>());
    }
    QVERIFY(off_clean > 1e-6 && off_faulty > 1e-6);

    // Through the trainer: the default mix runs both passes every step and reports the weight.
    TrainConfig t;
    t.epochs = 1;
    t.batch_size = 32;
    t.bitflip_training = c;
    t.bitflip_training.faulty_weight = 0.5;
    Network trained = lenet(data);
    TrainingVariants variants(trained, t);
    TrainContext ctx;
    variants.install(ctx.hooks);
    QVERIFY(ctx.hooks.extra_pass && !ctx.hooks.before_forward);
    train_network(trained, data, t, ctx);
    variants.finish();
    const nlohmann::json d = variants.describe().at("bitflip_training");
    QCOMPARE(d.at("faulty_weight").get<double>(), 0.5);
    QCOMPARE(d.at("steps").get<int64_t>(), int64_t{4});
    // The key: read, range-checked with its field named, written back.
    TrainConfig parsed = parse_train_config({{"bitflip_training", {{"faulty_weight", 0.3}}}}, "t.json");
    QCOMPARE(parsed.bitflip_training.faulty_weight, 0.3);
    QCOMPARE(to_json(parsed).at("bitflip_training").at("faulty_weight").get<double>(), 0.3);
    for (double bad : {0.0, 1.5, -1.0}) {
      try {
        parse_train_config({{"bitflip_training", {{"faulty_weight", bad}}}}, "t.json");
        QFAIL("an out-of-range faulty_weight was accepted");
      } catch (const ValidationError& e) {
        std::string all;
        for (const auto& p : e.problems()) all += p + "\n";
        QVERIFY2(all.find("bitflip_training.faulty_weight") != std::string::npos, all.c_str());
      }
    }
  }

  // Bit-flip training with a real learning rate still learns on clean weights.
  void bitflipTrainingLearns() {
    DatasetSplit data = synthetic_data();
    Network net = lenet(data);
    TrainConfig t;
    t.epochs = 3;
    t.batch_size = 16;
    t.lr = 3e-3;
    t.bitflip_training.enabled = true;
    t.bitflip_training.ber = 1e-5;
    t.bitflip_training.bit_field = "mantissa";
    TrainingVariants variants(net, t);
    TrainContext ctx;
    variants.install(ctx.hooks);
    TrainResult r = train_network(net, data, t, ctx);
    variants.finish();
    QVERIFY2(r.test_accuracy > 40.0, std::to_string(r.test_accuracy).c_str());  // 4 classes: chance is 25 %
  }

  // Saturating weights: the wrapped network computes what the plain one does; training updates v;
  // finish() leaves the plain architecture with w = s tanh(v), inside (-s, s).
  void saturatingWeights() {
    DatasetSplit data = synthetic_data();
    for (const char* fn : {"tanh", "atan"}) {
      Network net = lenet(data);
      std::vector<std::string> keys;
      for (const auto& p : net->named_parameters()) keys.push_back(p.key());
      torch::Tensor x = data.test.images.narrow(0, 0, 16);
      torch::Tensor before;
      {
        torch::NoGradGuard no_grad;
        net->eval();
        before = net->forward(x);
      }
      TrainConfig t;
      t.epochs = 1;
      t.batch_size = 32;
      t.saturating_weights.enabled = true;
      t.saturating_weights.function = fn;
      TrainingVariants variants(net, t);
      {
        torch::NoGradGuard no_grad;
        net->eval();
        QVERIFY(torch::allclose(net->forward(x), before, 1e-4, 1e-5));
      }
      TrainContext ctx;
      variants.install(ctx.hooks);
      train_network(net, data, t, ctx);
      variants.finish();
      std::vector<std::string> after_keys;
      for (const auto& p : net->named_parameters()) after_keys.push_back(p.key());
      QCOMPARE(after_keys, keys);
      nlohmann::json d = variants.describe().at("saturating_weights");
      QCOMPARE(d.at("layers").size(), size_t{5});
      // The first layer's weights lie strictly inside (-s, s) of its own scale.
      auto* conv0 = dynamic_cast<QuantConv2dImpl*>(net->stage(0).module->children()[0].get());
      QVERIFY(conv0 != nullptr);
      QVERIFY(conv0->conv->weight.abs().max().item<double>() < d.at("layers")[0].at("s").get<double>());
      QVERIFY(!torch::allclose(net->forward(x), before));  // it did train
    }
    Network quantized = lenet(data, 4, 0);
    TrainConfig t;
    t.saturating_weights.enabled = true;
    try {
      TrainingVariants v(quantized, t);
      QFAIL("no error");
    } catch (const ConfigError& e) {
      QVERIFY(std::string(e.what()).find("training.saturating_weights.layers") != std::string::npos);
    }
  }
  // Issue 14 fix 8: after saturating-weight training the `saturate` scheme stores the weights with
  // the scale they were trained under (recorded in the network and in the model file), not
  // factor * max|w| of the trained weights, which is a different, smaller scale.
  void saturateSchemeKeepsTheTrainedScale() {
    DatasetSplit data = synthetic_data();
    Network net = lenet(data);
    TrainConfig t;
    t.epochs = 1;
    t.batch_size = 32;
    t.saturating_weights.enabled = true;
    t.saturating_weights.function = "tanh";
    t.saturating_weights.factor = 1.5;
    TrainingVariants variants(net, t);
    TrainContext ctx;
    variants.install(ctx.hooks);
    train_network(net, data, t, ctx);
    variants.finish();
    const nlohmann::json layers = variants.describe().at("saturating_weights").at("layers");
    std::map<std::string, double> trained;
    for (const auto& l : layers) trained[l.at("stage").get<std::string>()] = l.at("s").get<double>();
    QCOMPARE(net->trained_encodings().size(), trained.size());

    // The scale each wrapped layer of a protected copy decodes with.
    auto scales = [](const Network& protected_net) {
      std::map<std::string, double> out;
      for (const auto& stage : protected_net->stages())
        for (const auto& m : stage.module->modules(false))
          if (auto* sw = dynamic_cast<StoredWeightImpl*>(m.get()))
            out[stage.name] = sw->named_buffers(false)["decode_scale"].item<double>();
      return out;
    };
    const nlohmann::json scheme = nlohmann::json::array({{{"scheme", "saturate"}, {"factor", 1.5}}});
    nlohmann::json details;
    Network saturated =
        apply_protection(net, parse_protection(scheme, "test"), torch::Tensor(), torch::Tensor(), details);
    const std::map<std::string, double> used = scales(saturated);
    QCOMPARE(used.size(), trained.size());
    for (const auto& [stage, s] : trained) {
      // decode_scale is a float32 buffer: s to float precision.
      QVERIFY2(std::abs(used.at(stage) - s) <= 1e-6 * s, stage.c_str());
      // What the scheme used to take: 1.5 max|w| of the trained weights, measurably smaller.
      auto* layer = net->stage(net->stage_index(stage)).module->children()[0].get();
      torch::Tensor w = dynamic_cast<QuantConv2dImpl*>(layer) ? dynamic_cast<QuantConv2dImpl*>(layer)->conv->weight
                                                              : dynamic_cast<QuantLinearImpl*>(layer)->linear->weight;
      QVERIFY(std::abs(1.5 * w.abs().max().item<double>() - s) > 1e-3 * s);
    }
    // The stored copy decodes to the trained weights (atanh then tanh: float rounding only).
    torch::Tensor x = data.test.images.narrow(0, 0, 16);
    {
      torch::InferenceMode guard;
      net->eval();
      QVERIFY(torch::allclose(saturated->forward(x), net->forward(x), 1e-4, 1e-4));
    }
    // The model file keeps the scale: a loaded model is stored with it too.
    std::filesystem::create_directories(FAULTSCAPE_TEST_TMP);
    const std::string path = std::string(FAULTSCAPE_TEST_TMP) + "/saturating_lenet.pt";
    save_model(net, path);
    LoadedModel loaded = load_model(path);
    QCOMPARE(loaded.net->trained_encodings().size(), trained.size());
    nlohmann::json details2;
    const std::map<std::string, double> used2 = scales(
        apply_protection(loaded.net, parse_protection(scheme, "test"), torch::Tensor(), torch::Tensor(), details2));
    for (const auto& [stage, s] : trained) QVERIFY(std::abs(used2.at(stage) - s) <= 1e-6 * s);
    // Another function than the trained one is refused, naming the field.
    try {
      nlohmann::json d;
      apply_protection(net,
                       parse_protection(nlohmann::json::array({{{"scheme", "saturate"}, {"function", "atan"}}}), "t"),
                       torch::Tensor(), torch::Tensor(), d);
      QFAIL("a function other than the trained one was accepted");
    } catch (const ConfigError& e) {
      QVERIFY2(std::string(e.what()).find("protection[0].function") != std::string::npos, e.what());
    }
  }

  // Quantization bound: the regulariser's gradient on every learnable bound is positive (l2: 2 lambda a).
  void quantBoundRegulariser() {
    DatasetSplit data = synthetic_data();
    Network net = lenet(data, 4, 4, true);
    QuantBoundConfig c;
    c.enabled = true;
    c.lambda = 0.1;
    QuantBoundTraining qb(net, c);
    QCOMPARE(qb.size(), size_t{5 + 4});  // five weight bounds, four activation bounds
    qb.regulariser().backward();
    for (const auto& p : net->named_parameters()) {
      const std::string k = p.key();
      if (k.size() < 5 || k.compare(k.size() - 5, 5, "bound") != 0) continue;
      QVERIFY(torch::allclose(p.value().grad(), 0.2 * p.value().detach()));
      QVERIFY(p.value().grad().item<double>() > 0);
    }
    c.weights = false;
    QCOMPARE(QuantBoundTraining(net, c).size(), size_t{4});
    // Training with it pulls the activation bounds below where an unregularised run leaves them.
    auto bounds_after = [&](double lambda) {
      Network n = lenet(data, 0, 4, true);
      TrainConfig t;
      t.epochs = 2;
      t.batch_size = 16;
      t.lr = 1e-2;
      t.quant_bound.enabled = true;
      t.quant_bound.lambda = lambda;
      TrainingVariants v(n, t);
      TrainContext ctx;
      v.install(ctx.hooks);
      train_network(n, data, t, ctx);
      double sum = 0;
      const nlohmann::json d = v.describe();
      for (const auto& b : d.at("quant_bound").at("bounds")) sum += b.at("final").get<double>();
      return sum;
    };
    QVERIFY(bounds_after(0.5) < bounds_after(0.0));
    Network fixed = lenet(data, 4, 4, false);
    try {
      QuantBoundTraining bad(fixed, c);
      QFAIL("no error");
    } catch (const ConfigError& e) {
      QVERIFY(std::string(e.what()).find("training.quant_bound") != std::string::npos);
    }
  }

  // JSON: presence switches a method on, every problem names its field, written configs read back.
  void jsonKeys() {
    nlohmann::json bad = {{"learned_threshold", {{"granularity", "row"}, {"init_percentile", 0}, {"lamda", 1}}},
                          {"quant_bound", {{"penalty", "l3"}, {"min_bound", 0}}},
                          {"bitflip_training", {{"ber", 2}, {"format", "fp33"}, {"tensors", {"weights"}}}},
                          {"saturating_weights", {{"function", "sigmoid"}, {"factor", 1.0}}}};
    try {
      parse_train_config(bad, "t.json");
      QFAIL("no error");
    } catch (const ValidationError& e) {
      std::string all;
      for (const auto& p : e.problems()) all += p + "\n";
      for (const char* field :
           {"learned_threshold.granularity", "learned_threshold.init_percentile", "learned_threshold.lamda",
            "quant_bound.penalty", "quant_bound.min_bound", "bitflip_training.ber", "bitflip_training.format",
            "bitflip_training.tensors", "saturating_weights.function", "saturating_weights.factor"})
        QVERIFY2(all.find(field) != std::string::npos, field);
      QCOMPARE(e.problems().size(), size_t{10});
    }
    QVERIFY_THROWS_EXCEPTION(ValidationError, parse_train_config({{"quant_bound", 1}}, "t.json"));
    nlohmann::json good = {
        {"learned_threshold", {{"granularity", "channel"}, {"lambda", 1e-4}, {"init_percentile", 99}, {"epochs", 1}}},
        {"quant_bound", {{"lambda", 0.01}, {"penalty", "l1"}}},
        {"bitflip_training", {{"ber", 1e-5}, {"format", "int8"}, {"bit_field", "sign"}, {"max_loss", 50}}},
        {"saturating_weights", {{"function", "atan"}, {"factor", 2}}}};
    TrainConfig c = parse_train_config(good, "t.json");
    QVERIFY(c.learned_threshold.enabled && c.quant_bound.enabled && c.bitflip_training.enabled &&
            c.saturating_weights.enabled);
    QCOMPARE(c.learned_threshold.granularity, std::string("channel"));
    QCOMPARE(c.learned_threshold.epochs, 1);
    QCOMPARE(c.quant_bound.penalty, std::string("l1"));
    QCOMPARE(c.bitflip_training.format, std::string("int8"));
    QCOMPARE(c.bitflip_training.max_loss, 50.0);
    QCOMPARE(c.saturating_weights.factor, 2.0);
    QCOMPARE(to_json(parse_train_config(to_json(c), "written")), to_json(c));
    // An empty object switches a method on with its defaults; plain training writes none of the keys.
    QVERIFY(parse_train_config({{"learned_threshold", nlohmann::json::object()}}, "t.json").learned_threshold.enabled);
    for (const char* key : {"learned_threshold", "quant_bound", "bitflip_training", "saturating_weights"})
      QVERIFY(!to_json(TrainConfig{}).contains(key));
  }
};

QTEST_GUILESS_MAIN(TestRobustTraining)
#include "test_robust_training.moc"
