// Every fast path of the campaigns gives the naive path's correct counts on the same faults: the
// stuck sweep's delta evaluation (plain stuck channel, after element-wise and batch-norm stages,
// on scripted layers, element faults), its prefix path (residual blocks), and the BER sweep's
// sparse weight delta. Naive = the fault applied to a full forward pass over every image.
// Fast and naive round differently (Z + W_c d against W x'), so an image may only change its
// prediction where the naive logits hold a near tie; the comparison allows exactly those.
#include <torch/torch.h>

#include "campaign/campaigns.h"
#include "campaign/faulty_evaluator.h"
#include "campaign/trial_recorder.h"
#include "data/dataset.h"
#include "faults/activation_faults.h"
#include "faults/fault_model.h"
#include "faults/rng.h"
#include "faults/sites.h"
#include "faults/weight_faults.h"
#include "models/zoo.h"

#include "script_models.h"
#include "test_support.h"

#include <QtTest>

using namespace faultscape;

namespace {

struct Data {
  torch::Tensor images, labels;
};

Data synthetic(std::vector<int64_t> shape, int64_t n) {
  DatasetConfig c;
  c.name = "synthetic";
  c.synthetic_train = 1;
  c.synthetic_test = n;
  c.synthetic_shape = shape;
  c.synthetic_classes = 10;
  DatasetSplit s = load_dataset(c);
  return {s.test.images, s.test.labels};
}

// Correct images of a naive evaluation, and how many of its logits hold a near tie between the
// top two classes (within the float rounding of the logits' magnitude), where fast and naive may
// legitimately differ.
struct Naive {
  int64_t correct = 0, near_ties = 0;
};

Naive score(const torch::Tensor& logits, const torch::Tensor& labels) {
  Naive r;
  r.correct = logits.argmax(1).eq(labels).sum().item<int64_t>();
  auto top = logits.topk(2, 1);
  torch::Tensor values = std::get<0>(top);
  torch::Tensor margin = values.select(1, 0) - values.select(1, 1);
  torch::Tensor tolerance = 1e-4 * (logits.abs().amax(1) + 1);
  r.near_ties = (margin.le(tolerance) | ~torch::isfinite(margin)).sum().item<int64_t>();
  return r;
}

Naive naive_stuck(Network& net, const Data& d, const StuckFault& f) {
  torch::InferenceMode guard;
  torch::Tensor a = net->forward_range(d.images, 0, f.stage + 1).clone();
  f.apply(a);
  return score(net->forward_range(a, f.stage + 1, net->size()), d.labels);
}

struct Sweep {
  nlohmann::json summary;
  std::vector<TrialRow> trials;
};

Sweep run(Network& net, const Data& d, const FaultModel& f, const CampaignConfig& cfg) {
  FaultyEvaluator ev(net, d.images, d.labels, 25, 64 << 20);
  TrialRecorder recorder(nullptr, 0, nullptr,
                         cfg.kind == "stuck_sweep" ? RecordKind::StuckTrial : RecordKind::BerTrial);
  CampaignIO io{recorder, nullptr, nullptr};
  Sweep s;
  s.summary = cfg.kind == "stuck_sweep" ? run_stuck_sweep(ev, f, cfg, io) : run_ber_sweep(ev, f, cfg, io);
  s.trials = recorder.all();
  return s;
}

FaultModel stuck(const std::string& granularity, std::vector<std::string> layers = {}) {
  FaultModel f;
  f.kind = "stuck_at";
  f.target = "activations";
  f.granularity = granularity;
  f.stuck_values = {0.0, 1.0};
  f.samples = 12;
  f.layers = std::move(layers);
  return f;
}

CampaignConfig stuck_config() {
  CampaignConfig cfg;
  cfg.kind = "stuck_sweep";
  cfg.fault_batch = 3;
  return cfg;
}

// Compares every trial of a stuck sweep with the naive evaluation; `exact` counts the trials that
// agree exactly.
void check_stuck(Network& net, const Data& d, const FaultModel& f, int64_t* exact = nullptr) {
  Sweep s = run(net, d, f, stuck_config());
  const int64_t n = d.images.size(0);
  for (const TrialRow& t : s.trials) {
    const auto& p = t.params;
    std::vector<int64_t> pixel =
        p.contains("pixel") ? p["pixel"].get<std::vector<int64_t>>() : std::vector<int64_t>{-1, -1};
    StuckFault fault{p.at("stage").get<int>(), p.value("channel", int64_t{-1}), pixel[0], pixel[1],
                     p.at("value").get<double>()};
    Naive naive = naive_stuck(net, d, fault);
    const int64_t fast = std::llround(t.accuracy * n / 100.0);
    QVERIFY2(
        std::llabs(fast - naive.correct) <= naive.near_ties,
        qPrintable(
            QString::fromStdString(p.dump()) +
            QString(": fast %1, naive %2 correct (%3 near ties)").arg(fast).arg(naive.correct).arg(naive.near_ties)));
    if (exact) *exact += fast == naive.correct;
  }
}

void expect_paths(const nlohmann::json& paths, const std::string& prefix) {
  QVERIFY2(!paths.empty(), "the summary names the paths taken");
  for (const auto& [site, path] : paths.items())
    QVERIFY2(path.get<std::string>().rfind(prefix, 0) == 0,
             qPrintable(QString::fromStdString(site + ": " + path.get<std::string>())));
}

Network script_network(const std::string& file) {
  ModelConfig m;
  m.name = "torchscript";
  m.file = file;
  Network net = build_network(m, {1, 28, 28}, 10);
  net->eval();
  return net;
}

// conv -> batch norm -> LeakyReLU -> max pool -> conv -> ReLU -> flatten -> linear: the delta
// passes a norm and an element-wise stage that are stages of their own.
std::string save_norm_cnn() {
  torch::manual_seed(4);
  test::ScriptBuilder b("NormCnn");
  b.conv(1, 8, 3);
  b.batch_norm(8);
  b.op("LeakyReLU", "torch.leaky_relu(x, 0.1)");
  b.op("MaxPool2d", "torch.max_pool2d(x, [2, 2], [2, 2], [0, 0], [1, 1], False)");
  b.conv(8, 12, 3, 2, 1);
  b.op("ReLU", "torch.relu(x)");
  b.op("Flatten", "torch.flatten(x, 1)");
  b.linear(12 * 7 * 7, 10);
  std::string path = test::test_path("norm_cnn.pt");
  b.save(path);
  return path;
}

}  // namespace

class TestFastPaths : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { torch::set_num_threads(1); }

  void scriptedCnnStuckChannels() {
    std::string path = test::test_path("cnn.pt");
    test::save_script_cnn(path);
    Network net = script_network(path);
    Data d = synthetic({1, 28, 28}, 60);
    FaultModel f = stuck("channel");
    Sweep s = run(net, d, f, stuck_config());
    expect_paths(s.summary.at("paths"), "delta");
    QCOMPARE(s.summary.at("paths").size(), size_t{4});  // three convolutions and the hidden linear layer
    QVERIFY(s.summary.at("executed_gflops").get<double>() > 0);
    int64_t exact = 0;
    check_stuck(net, d, f, &exact);
    qInfo("scripted CNN: %lld of %zu stuck channels agree exactly", static_cast<long long>(exact), s.trials.size());
  }

  void throughNormAndElementwiseStages() {
    Network net = script_network(save_norm_cnn());
    QCOMPARE(net->stage(1).kind, std::string("norm"));
    QCOMPARE(net->stage(2).kind, std::string("activation"));
    Data d = synthetic({1, 28, 28}, 50);
    for (const char* granularity : {"channel", "element"}) {
      FaultModel f = stuck(granularity, {"l0"});
      expect_paths(run(net, d, f, stuck_config()).summary.at("paths"), "delta");
      check_stuck(net, d, f);
    }
    // Pixel faults hit every channel: the prefix path, named as such.
    FaultModel pixel = stuck("pixel", {"l0"});
    expect_paths(run(net, d, pixel, stuck_config()).summary.at("paths"), "prefix");
    check_stuck(net, d, pixel);
  }

  // Unpadded convolutions before a ReLU and max pooling take the pooled shortcut (the stuck map's
  // own contribution is a constant per channel); a padded one does not (its zero border), and
  // pools the sum instead. Both against the naive way, channel and element faults.
  void paddedConvolutionBeforePooling() {
    torch::manual_seed(8);
    test::ScriptBuilder b("PaddedCnn");
    b.conv(1, 6, 3);
    b.op("ReLU", "torch.relu(x)");
    b.op("MaxPool2d", "torch.max_pool2d(x, [2, 2], [2, 2], [0, 0], [1, 1], False)");
    b.conv(6, 8, 3, 1, 1);
    b.op("ReLU", "torch.relu(x)");
    b.op("MaxPool2d", "torch.max_pool2d(x, [2, 2], [2, 2], [0, 0], [1, 1], False)");
    b.op("Flatten", "torch.flatten(x, 1)");
    b.linear(8 * 6 * 6, 10);
    const std::string path = test::test_path("padded_cnn.pt");
    b.save(path);
    Network net = script_network(path);
    Data d = synthetic({1, 28, 28}, 40);
    for (const char* granularity : {"channel", "element"}) {
      FaultModel f = stuck(granularity, {"l0"});
      expect_paths(run(net, d, f, stuck_config()).summary.at("paths"), "delta");
      check_stuck(net, d, f);
    }
  }

  void zooLenet5() {
    torch::manual_seed(5);
    Data d = synthetic({1, 28, 28}, 60);
    ModelConfig m;
    m.name = "lenet5";
    Network net = build_network(m, {1, 28, 28}, 10);
    net->eval();
    FaultModel f = stuck("channel");
    expect_paths(run(net, d, f, stuck_config()).summary.at("paths"), "delta");
    check_stuck(net, d, f);
  }

  // A stuck channel entering a residual block: the block's first convolution and its shortcut
  // (identity, or a projection convolution + batch norm) take one-channel deltas.
  void residualBlocks() {
    torch::manual_seed(6);
    Data d = synthetic({3, 16, 16}, 30);
    ModelConfig m;
    m.name = "resnet20";
    m.width = 0.25;
    Network net = build_network(m, {3, 16, 16}, 10);
    net->eval();
    // Into block1_1 (identity shortcut), into block2_0 (projection), into the pooled classifier.
    FaultModel f = stuck("channel", {"block1_0", "block1_2", "block3_2"});
    Sweep s = run(net, d, f, stuck_config());
    expect_paths(s.summary.at("paths"), "delta");
    check_stuck(net, d, f);
  }

  // BER sweep: the first faulty layer from its golden output plus the sparse weight change.
  void berSparseWeightDelta() {
    std::string path = test::test_path("cnn_ber.pt");
    test::save_script_cnn(path, 7);
    torch::manual_seed(7);
    ModelConfig lenet;
    lenet.name = "lenet5";
    ModelConfig cnv;
    cnv.name = "cnv";
    cnv.weight_bits = 2;
    cnv.act_bits = 2;
    cnv.width = 0.25;
    ModelConfig binary = cnv;  // binary weights: most flips leave the effective weight unchanged
    binary.weight_bits = 1;
    binary.act_bits = 1;
    Data d = synthetic({1, 28, 28}, 40);
    int64_t propagated = 0, unchanged = 0;
    for (Network net : {script_network(path), build_network(lenet, {1, 28, 28}, 10),
                        build_network(cnv, {1, 28, 28}, 10), build_network(binary, {1, 28, 28}, 10)}) {
      net->eval();
      FaultModel f;
      f.kind = "bitflip";
      f.target = "weights";
      f.format = "fp32";
      f.tensors = {"weight", "bias"};
      CampaignConfig cfg;
      cfg.kind = "ber_sweep";
      cfg.bers = {3e-5, 3e-6};  // the lower rate often changes no binary weight's sign
      cfg.trials = 12;
      Sweep s = run(net, d, f, cfg);
      QVERIFY(s.summary.at("paths").at("sparse_weight_delta").get<int64_t>() > 0);
      propagated += s.summary.at("paths").at("sparse_through_next_layer").get<int64_t>();
      unchanged += s.summary.at("paths").at("no_weight_changed").get<int64_t>();
      std::vector<WeightSite> sites = weight_sites(net, f);
      for (const TrialRow& t : s.trials) {
        auto rng = trial_rng(cfg.seed, static_cast<uint64_t>(t.trial));
        WeightFaultSet set = sample_weight_faults(sites, f, t.params.at("rate").get<double>(), rng);
        WeightUndoLog log;
        log.apply(sites, set);
        Naive naive;
        {
          torch::InferenceMode guard;
          naive = score(net->forward(d.images), d.labels);
        }
        log.undo(sites);
        const int64_t fast = std::llround(t.accuracy * d.images.size(0) / 100.0);
        QVERIFY2(std::llabs(fast - naive.correct) <= naive.near_ties,
                 qPrintable(QString("trial %1: fast %2, naive %3 (%4 near ties)")
                                .arg(t.trial)
                                .arg(fast)
                                .arg(naive.correct)
                                .arg(naive.near_ties)));
      }
    }
    QVERIFY2(propagated > 0, "some trials carry the change through the next layer");
    QVERIFY2(unchanged > 0, "some trials change no effective weight");
  }
};

QTEST_GUILESS_MAIN(TestFastPaths)
#include "test_fast_paths.moc"
