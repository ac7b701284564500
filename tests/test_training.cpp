// Training and evaluation: determinism for a seed and thread count, learning on the synthetic
// problem, the squared hinge loss, the learning-rate schedule, cancellation, and evaluate()'s
// accuracy / confusion matrix / per-class accuracy on a network whose predictions are known.
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/observer.h"
#include "runtime/runtime.h"
#include "data/dataset.h"
#include "models/zoo.h"
#include "train/evaluate.h"
#include "train/trainer.h"

#include <QtTest>

using namespace faultscape;

namespace {

DatasetConfig synthetic(int64_t train = 384, int64_t test = 256) {
  DatasetConfig c;
  c.name = "synthetic";
  c.synthetic_train = train;
  c.synthetic_test = test;
  c.synthetic_shape = {1, 16, 16};
  c.synthetic_classes = 10;
  c.seed = 3;
  return c;
}

ModelConfig model(const std::string& name, int bits = 0) {
  ModelConfig m;
  m.name = name;
  m.weight_bits = bits;
  m.act_bits = bits;
  return m;
}

TrainConfig training(int epochs, uint64_t seed) {
  TrainConfig t;
  t.epochs = epochs;
  t.batch_size = 32;
  t.lr = 2e-3;
  t.seed = seed;
  return t;
}

struct Trained {
  Network net{nullptr};
  TrainResult result;
};

Trained train(const DatasetSplit& data, const ModelConfig& m, const TrainConfig& t, const TrainContext& ctx = {}) {
  seed_everything(t.seed);
  Trained out;
  out.net = build_network(m, data.train.image_shape(), data.train.num_classes);
  out.result = train_network(out.net, data, t, ctx);
  return out;
}

bool same_state(Network& a, Network& b) {
  auto pa = a->named_parameters(), pb = b->named_parameters();
  auto ba = a->named_buffers(), bb = b->named_buffers();
  if (pa.size() != pb.size() || ba.size() != bb.size()) return false;
  for (const auto& kv : pa)
    if (!torch::equal(kv.value(), pb[kv.key()])) return false;
  for (const auto& kv : ba)
    if (!torch::equal(kv.value(), bb[kv.key()])) return false;
  return true;
}

// A network whose logits are its input: images [N, 1, 1, K] are the logits of K classes.
Network identity_network(int64_t classes) {
  ModelConfig c;
  c.name = "identity";
  Network net(c, std::vector<int64_t>{1, 1, classes}, classes);
  net->add_stage("flatten", "flatten", torch::nn::Sequential(torch::nn::Flatten()));
  return net;
}

// A dataset whose network predictions (argmax of the image) and labels are chosen.
Dataset controlled(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels, int64_t classes) {
  Dataset d;
  d.name = "controlled";
  d.num_classes = classes;
  const int64_t n = static_cast<int64_t>(labels.size());
  d.images = torch::zeros({n, 1, 1, classes});
  for (int64_t i = 0; i < n; ++i) d.images[i][0][0][predictions[i]] = 1.0;
  d.images += torch::rand({n, 1, 1, classes}) * 0.1;  // noise below the margin
  d.labels = torch::tensor(labels, torch::kLong);
  return d;
}

struct CancelAfterEpoch : Observer {
  StopToken token;
  int epochs_seen = 0;
  int cancel_after = 1;
  void on_result(RecordKind kind, const nlohmann::json& r) override {
    if (kind != RecordKind::Epoch) return;
    ++epochs_seen;
    QCOMPARE(r.at("epoch").get<int>(), epochs_seen);
    if (epochs_seen == cancel_after) token.cancel = true;
  }
};

struct CancelMidEpoch : Observer {
  StopToken token;
  int64_t progress_calls = 0;
  int epochs_seen = 0;
  void on_progress(const Progress& p) override {
    QCOMPARE(p.phase, std::string("train"));
    if (++progress_calls == 2) token.cancel = true;
  }
  void on_result(RecordKind kind, const nlohmann::json&) override {
    if (kind == RecordKind::Epoch) ++epochs_seen;
  }
};

}  // namespace

class TestTraining : public QObject {
  Q_OBJECT

  DatasetSplit data_;

 private slots:
  void initTestCase() {
    tune_process();
    set_threads(2);
    data_ = load_dataset(synthetic());
    QCOMPARE(data_.train.size(), int64_t{384});
    QCOMPARE(data_.test.size(), int64_t{256});
  }

  void deterministicForSeed() {
    for (const ModelConfig& m : {model("lenet5"), model("cnv", 2)}) {
      ModelConfig mc = m;
      if (mc.name == "cnv") mc.width = 0.125;
      TrainConfig t = training(2, 42);
      Trained a = train(data_, mc, t);
      Trained b = train(data_, mc, t);
      QVERIFY2(same_state(a.net, b.net), mc.name.c_str());
      QCOMPARE(a.result.epochs.size(), size_t{2});
      for (size_t e = 0; e < 2; ++e) {
        QCOMPARE(a.result.epochs[e].loss, b.result.epochs[e].loss);  // bit-identical, not approximately
        QCOMPARE(a.result.epochs[e].train_accuracy, b.result.epochs[e].train_accuracy);
        QCOMPARE(a.result.epochs[e].test_accuracy, b.result.epochs[e].test_accuracy);
      }
      QCOMPARE(a.result.test_accuracy, b.result.test_accuracy);
      {
        torch::NoGradGuard no_grad;
        QVERIFY(torch::equal(a.net->forward(data_.test.images), b.net->forward(data_.test.images)));
      }

      // Another seed gives other initial weights and another order: other weights and metrics.
      Trained c = train(data_, mc, training(2, 43));
      QVERIFY(!same_state(a.net, c.net));
      QVERIFY(a.result.epochs[0].loss != c.result.epochs[0].loss);
    }
  }

  // The shuffling seed alone (same initial weights) changes the result too.
  void shuffleSeedMatters() {
    seed_everything(5);
    Network a = build_network(model("mlp"), data_.train.image_shape(), 10);
    seed_everything(5);
    Network b = build_network(model("mlp"), data_.train.image_shape(), 10);
    QVERIFY(same_state(a, b));
    TrainResult ra = train_network(a, data_, training(1, 5));
    TrainResult rb = train_network(b, data_, training(1, 6));
    QVERIFY(!same_state(a, b));
    QVERIFY(ra.epochs[0].loss != rb.epochs[0].loss);
  }

  void learnsSyntheticProblem() {
    TrainConfig t = training(4, 7);
    Trained r = train(data_, model("lenet5"), t);
    const auto& e = r.result.epochs;
    QCOMPARE(e.size(), size_t{4});
    for (size_t i = 0; i < e.size(); ++i) {
      QCOMPARE(e[i].epoch, static_cast<int>(i + 1));
      QVERIFY(std::isfinite(e[i].loss));
      QVERIFY(e[i].seconds > 0);
      QVERIFY(e[i].images_per_second > 0);
    }
    QVERIFY2(e.back().loss < 0.5 * e.front().loss,
             qPrintable(QString("loss %1 -> %2").arg(e.front().loss).arg(e.back().loss)));
    // Chance is 10 %.
    QVERIFY2(r.result.test_accuracy > 60, qPrintable(QString::number(r.result.test_accuracy)));
    QVERIFY(e.back().train_accuracy > e.front().train_accuracy);
    QCOMPARE(r.result.test_accuracy, e.back().test_accuracy);
    QVERIFY(!r.net->is_training());  // left in eval mode
    // The reported test accuracy is evaluate()'s.
    QCOMPARE(evaluate(r.net, data_.test).accuracy, r.result.test_accuracy);
    // The JSON form carries the same numbers.
    nlohmann::json j = r.result.to_json();
    QCOMPARE(j.at("epochs").size(), size_t{4});
    QCOMPARE(j.at("test_accuracy").get<double>(), r.result.test_accuracy);
    QCOMPARE(j.at("epochs")[3].at("loss").get<double>(), e.back().loss);
  }

  // A quantized network (W2A2, squared hinge as in FINN / FAT) also learns.
  void learnsQuantizedWithHinge() {
    ModelConfig m = model("cnv", 2);
    m.width = 0.25;
    TrainConfig t = training(3, 11);
    t.loss = "squared_hinge";
    t.lr = 5e-3;
    Trained r = train(data_, m, t);
    QVERIFY2(r.result.epochs.back().loss < r.result.epochs.front().loss,
             qPrintable(QString("%1 -> %2").arg(r.result.epochs.front().loss).arg(r.result.epochs.back().loss)));
    QVERIFY2(r.result.test_accuracy > 30, qPrintable(QString::number(r.result.test_accuracy)));
  }

  void squaredHingeLoss() {
    // Row 0, label 0: targets (+1, -1, -1): max(0, 1 - t*y)^2 = (0, 0.25, 1.69).
    // Row 1, label 2: targets (-1, -1, +1) with y = (-2, 0, 0.5): (0, 1, 0.25).
    torch::Tensor logits = torch::tensor({2.0f, -0.5f, 0.3f, -2.0f, 0.0f, 0.5f}).view({2, 3});
    torch::Tensor labels = torch::tensor({0, 2}, torch::kLong);
    double loss = compute_loss("squared_hinge", logits, labels).item<double>();
    QVERIFY2(std::abs(loss - (0.25 + 1.69 + 1.0 + 0.25) / 6.0) < 1e-6, qPrintable(QString::number(loss)));
    // All margins satisfied: zero loss.
    torch::Tensor perfect = torch::tensor({1.5f, -1.0f, -3.0f}).view({1, 3});
    QCOMPARE(compute_loss("squared_hinge", perfect, torch::tensor({0}, torch::kLong)).item<float>(), 0.0f);
    // Gradient of the hinge: d/dy of mean(max(0, 1 - t y)^2) = -2 t max(0, 1 - t y) / (N K).
    torch::Tensor y = logits.clone().requires_grad_(true);
    compute_loss("squared_hinge", y, labels).backward();
    QVERIFY(std::abs(y.grad()[0][2].item<double>() - 2 * 1.3 / 6) < 1e-6);
    QCOMPARE(y.grad()[0][0].item<float>(), 0.0f);
    // Cross entropy is the usual one.
    double ce = compute_loss("cross_entropy", logits, labels).item<double>();
    double expected = -(torch::log_softmax(logits, 1)[0][0] + torch::log_softmax(logits, 1)[1][2]).item<double>() / 2;
    QVERIFY(std::abs(ce - expected) < 1e-6);
    QVERIFY_THROWS_EXCEPTION(ConfigError, compute_loss("hinge", logits, labels));
  }

  void unknownOptionsRejected() {
    seed_everything(1);
    Network net = build_network(model("mlp"), data_.train.image_shape(), 10);
    TrainConfig t = training(1, 1);
    t.optimizer = "rmsprop";
    try {
      train_network(net, data_, t);
      QFAIL("no exception for an unknown optimizer");
    } catch (const ConfigError& e) {
      QVERIFY2(QString(e.what()).contains("rmsprop"), e.what());
    }
    t = training(1, 1);
    t.loss = "l2";
    QVERIFY_THROWS_EXCEPTION(ConfigError, train_network(net, data_, t));
    DatasetSplit empty;
    QVERIFY_THROWS_EXCEPTION(DataError, train_network(net, empty, training(1, 1)));
  }

  void lrHalvingSchedule() {
    DatasetSplit small = load_dataset(synthetic(64, 32));
    TrainConfig t = training(5, 1);
    t.lr = 0.01;
    t.lr_halve_every = 2;
    t.optimizer = "sgd";
    Trained r = train(small, model("mlp"), t);
    std::vector<double> lrs;
    for (const auto& e : r.result.epochs) lrs.push_back(e.lr);
    QCOMPARE(lrs, (std::vector<double>{0.01, 0.01, 0.005, 0.005, 0.0025}));
    t.lr_halve_every = 0;
    Trained flat = train(small, model("mlp"), t);
    for (const auto& e : flat.result.epochs) QCOMPARE(e.lr, 0.01);
    t.lr_halve_every = 1;
    t.epochs = 3;
    Trained every = train(small, model("mlp"), t);
    QCOMPARE(every.result.epochs[2].lr, 0.0025);
  }

  // The schedule reaches the optimizer: with SGD and no momentum, a step moves a weight by lr * grad.
  void lrReachesOptimizer() {
    DatasetSplit one = load_dataset(synthetic(8, 8));
    TrainConfig t = training(3, 1);
    t.optimizer = "sgd";
    t.momentum = 0;
    t.batch_size = 8;  // one batch per epoch, one step per epoch
    t.lr = 0.1;
    t.lr_halve_every = 1;
    seed_everything(2);
    Network net = build_network(model("mlp"), one.train.image_shape(), 10);
    std::vector<double> step_sizes;
    torch::Tensor prev = net->parameters()[0].detach().clone();
    TrainContext ctx;
    ctx.hooks.after_step = [&](Network& n) {
      torch::Tensor w = n->parameters()[0];
      torch::Tensor g = w.grad();
      step_sizes.push_back(((prev - w.detach()).abs().sum() / g.abs().sum()).item<double>());
      prev = w.detach().clone();
    };
    train_network(net, one, t, ctx);
    QCOMPARE(step_sizes.size(), size_t{3});
    QVERIFY(std::abs(step_sizes[0] - 0.1) < 1e-4);
    QVERIFY(std::abs(step_sizes[1] - 0.05) < 1e-4);
    QVERIFY(std::abs(step_sizes[2] - 0.025) < 1e-4);
  }

  void cancellation() {
    DatasetSplit small = load_dataset(synthetic(128, 32));
    // Raised before training starts: nothing runs.
    {
      StopToken stop;
      stop.cancel = true;
      TrainContext ctx;
      ctx.stop = &stop;
      seed_everything(1);
      Network net = build_network(model("mlp"), small.train.image_shape(), 10);
      torch::Tensor w0 = net->parameters()[0].detach().clone();
      QVERIFY_THROWS_EXCEPTION(Cancelled, train_network(net, small, training(3, 1), ctx));
      QVERIFY(torch::equal(w0, net->parameters()[0]));
    }
    // Raised after the first epoch's metrics: the second epoch stops at its first batch.
    {
      CancelAfterEpoch obs;
      TrainContext ctx;
      ctx.observer = &obs;
      ctx.stop = &obs.token;
      seed_everything(1);
      Network net = build_network(model("mlp"), small.train.image_shape(), 10);
      bool cancelled = false;
      try {
        train_network(net, small, training(5, 1), ctx);
      } catch (const Cancelled& e) {
        cancelled = true;
        QCOMPARE(std::string(e.what()), std::string("cancelled"));
      }
      QVERIFY(cancelled);
      QCOMPARE(obs.epochs_seen, 1);
    }
    // Raised in the middle of an epoch: no epoch completes.
    {
      CancelMidEpoch obs;
      TrainContext ctx;
      ctx.observer = &obs;
      ctx.stop = &obs.token;
      seed_everything(1);
      Network net = build_network(model("mlp"), small.train.image_shape(), 10);
      TrainConfig t = training(2, 1);
      t.batch_size = 4;  // 32 batches: progress every 20
      QVERIFY_THROWS_EXCEPTION(Cancelled, train_network(net, small, t, ctx));
      QCOMPARE(obs.epochs_seen, 0);
      QCOMPARE(obs.progress_calls, int64_t{2});
    }
  }

  void evaluateHandChecked() {
    // Labels and controlled predictions of 7 images, 3 classes:
    //   class 0: predicted 0, 1        -> 1 of 2 correct
    //   class 1: predicted 1, 1, 1     -> 3 of 3
    //   class 2: predicted 0, 2        -> 1 of 2
    std::vector<int64_t> labels = {0, 0, 1, 1, 1, 2, 2};
    std::vector<int64_t> preds = {0, 1, 1, 1, 1, 0, 2};
    Dataset d = controlled(preds, labels, 3);
    Network net = identity_network(3);
    net->train();
    for (int64_t batch : {1, 3, 4, 1000}) {
      EvalResult r = evaluate(net, d, batch);
      QVERIFY(net->is_training());  // the training flag is restored
      QCOMPARE(r.images, int64_t{7});
      QVERIFY(std::abs(r.accuracy - 500.0 / 7) < 1e-9);
      QCOMPARE(r.per_class_accuracy.size(), size_t{3});
      QCOMPARE(r.per_class_accuracy[0], 50.0);
      QCOMPARE(r.per_class_accuracy[1], 100.0);
      QCOMPARE(r.per_class_accuracy[2], 50.0);
      QCOMPARE(r.confusion.sizes().vec(), (std::vector<int64_t>{3, 3}));
      QCOMPARE(r.confusion.scalar_type(), torch::kLong);
      torch::Tensor expected = torch::tensor({1, 1, 0, 0, 3, 0, 1, 0, 1}, torch::kLong).view({3, 3});
      QVERIFY2(torch::equal(r.confusion, expected), qPrintable(QString::number(batch)));
      QVERIFY(torch::equal(r.predictions, torch::tensor(preds, torch::kLong)));
      QCOMPARE(r.nonfinite_outputs, int64_t{0});
      QVERIFY(r.seconds >= 0);
      QVERIFY(torch::equal(predict(net, d.images, batch), r.predictions));
      nlohmann::json j = r.to_json();
      QCOMPARE(j.at("confusion")[1].get<std::vector<int64_t>>(), (std::vector<int64_t>{0, 3, 0}));
      QCOMPARE(j.at("images").get<int64_t>(), int64_t{7});
      QVERIFY(!j.contains("predictions"));
    }
  }

  void evaluateEdgeCases() {
    Network net = identity_network(4);
    // A class with no images reports 0 %; NaN / Inf logits are counted.
    Dataset d = controlled({3, 3, 0}, {3, 3, 0}, 4);
    d.images[1][0][0][2] = std::numeric_limits<float>::quiet_NaN();
    d.images[2][0][0][1] = std::numeric_limits<float>::infinity();
    EvalResult r = evaluate(net, d, 2);
    QCOMPARE(r.nonfinite_outputs, int64_t{2});
    QCOMPARE(r.per_class_accuracy[1], 0.0);
    QCOMPARE(r.per_class_accuracy[2], 0.0);
    QCOMPARE(r.confusion.sum().item<int64_t>(), int64_t{3});
    // All correct.
    Dataset all = controlled({0, 1, 2, 3}, {0, 1, 2, 3}, 4);
    EvalResult ok = evaluate(net, all);
    QCOMPARE(ok.accuracy, 100.0);
    QVERIFY(torch::equal(ok.confusion, torch::eye(4, torch::kLong)));
  }
};

QTEST_APPLESS_MAIN(TestTraining)
#include "test_training.moc"
