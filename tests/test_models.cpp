// The model zoo: every model builds for MNIST- and CIFAR-shaped inputs, stage output shapes and
// parameter counts match the architectures, the width multiplier, unknown names, stage-wise
// execution, binarised CNV activations, and model files (round trip and bad files).
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/blas_kernels.h"
#include "runtime/runtime.h"
#include "models/max_pool.h"
#include "models/model_io.h"
#include "models/summary.h"
#include "models/zoo.h"
#include "quant/quant_layers.h"
#include "quant/quantizer.h"

#include "test_support.h"

#include <QtTest>

using namespace faultscape;
namespace fs = std::filesystem;
using Shape = std::vector<int64_t>;

namespace QTest {
template <>
inline char* toString(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return qstrdup((s + "]").c_str());
}
}  // namespace QTest

namespace {

ModelConfig model(const std::string& name, int weight_bits = 0, int act_bits = 0, double width = 1.0) {
  ModelConfig c;
  c.name = name;
  c.weight_bits = weight_bits;
  c.act_bits = act_bits;
  c.width = width;
  return c;
}

int64_t count_params(Network& net) {
  int64_t n = 0;
  for (const auto& p : net->parameters()) n += p.numel();
  return n;
}

// Stage name -> output shape.
std::map<std::string, Shape> shapes(const ModelSummary& s) {
  std::map<std::string, Shape> m;
  for (const auto& st : s.stages) m[st.name] = st.output_shape;
  return m;
}

template <class F>
QString error_of(F&& f) {
  try {
    f();
  } catch (const ModelError& e) {
    return QString::fromStdString(e.what());
  } catch (const std::exception& e) {
    return QString("wrong exception type: ") + e.what();
  }
  return "no exception";
}

}  // namespace

class TestModels : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    tune_process();
    set_threads(2);
  }

  // The fast max pool gives exactly LibTorch's values, NaN and infinities included, and falls back
  // to max_pool2d for windows that overlap or pad.
  void maxPoolEqualsLibTorch() {
    torch::manual_seed(2);
    torch::Tensor x = torch::randn({3, 4, 11, 9});
    x[0][1][2][3] = std::numeric_limits<float>::quiet_NaN();
    x[1][2][5][5] = std::numeric_limits<float>::infinity();
    x[2][0][0][0] = -std::numeric_limits<float>::infinity();
    for (auto options : {torch::nn::MaxPool2dOptions(2).stride(2), torch::nn::MaxPool2dOptions(3).stride(3),
                         torch::nn::MaxPool2dOptions({2, 3}).stride({2, 3}), torch::nn::MaxPool2dOptions(3).stride(2),
                         torch::nn::MaxPool2dOptions(2).stride(2).padding(1)}) {
      torch::Tensor expect = torch::max_pool2d(x, *options.kernel_size(), *options.stride(), *options.padding(),
                                               *options.dilation(), options.ceil_mode());
      torch::Tensor got = MaxPool(options)->forward(x);
      QCOMPARE(got.sizes(), expect.sizes());
      QVERIFY(torch::equal(got.isnan(), expect.isnan()));
      QVERIFY(torch::equal(got.nan_to_num(0), expect.nan_to_num(0)));
    }
  }

  void zooNames() {
    QCOMPARE(zoo_names(),
             (std::vector<std::string>{"mlp", "lenet5", "cnv", "vgg11", "vgg16", "alexnet", "resnet20", "resnet18"}));
  }

  void everyModelBuilds_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("side");
    QTest::addColumn<int>("classes");
    for (const auto& n : zoo_names()) {
      const char* c = n.c_str();
      QTest::newRow(qPrintable(QString("%1 1x28x28/10").arg(c))) << QString(c) << 1 << 28 << 10;
      QTest::newRow(qPrintable(QString("%1 3x32x32/10").arg(c))) << QString(c) << 3 << 32 << 10;
      QTest::newRow(qPrintable(QString("%1 3x32x32/100").arg(c))) << QString(c) << 3 << 32 << 100;
    }
  }

  void everyModelBuilds() {
    QFETCH(QString, name);
    QFETCH(int, channels);
    QFETCH(int, side);
    QFETCH(int, classes);
    torch::manual_seed(1);
    Network net = build_network(model(name.toStdString()), {channels, side, side}, classes);
    QCOMPARE(net->input_shape(), (Shape{channels, side, side}));
    QCOMPARE(net->num_classes(), int64_t{classes});
    QVERIFY(net->size() >= 3);
    net->eval();
    torch::NoGradGuard no_grad;
    torch::Tensor logits = net->forward(torch::randn({3, channels, side, side}));
    QCOMPARE(logits.sizes().vec(), (Shape{3, classes}));
    QVERIFY(torch::isfinite(logits).all().item<bool>());
    // Stage names are unique and every stage output is reported by the summary.
    ModelSummary s = summarize(net);
    QCOMPARE(s.stages.size(), net->size());
    QCOMPARE(shapes(s).size(), net->size());
    QCOMPARE(s.stages.back().output_shape, (Shape{classes}));
    QCOMPARE(s.params, count_params(net));
    QVERIFY(s.macs > 0);
    // Training mode with a batch works as well (batch norm needs more than one value per channel).
    net->train();
    torch::Tensor t = net->forward(torch::randn({2, channels, side, side}));
    QCOMPARE(t.sizes().vec(), (Shape{2, classes}));
  }

  void lenet5Shapes() {
    Network net = build_network(model("lenet5"), {1, 28, 28}, 10);
    ModelSummary s = summarize(net);
    std::vector<std::pair<std::string, Shape>> expected = {
        {"conv0", {6, 28, 28}}, {"pool0", {6, 14, 14}}, {"conv1", {16, 10, 10}}, {"pool1", {16, 5, 5}},
        {"flatten", {400}},     {"fc0", {120}},         {"fc1", {84}},           {"fc2", {10}}};
    QCOMPARE(s.stages.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      QCOMPARE(s.stages[i].name, expected[i].first);
      QCOMPARE(s.stages[i].output_shape, expected[i].second);
    }
    QCOMPARE(s.stages[0].kind, std::string("conv"));
    QCOMPARE(s.stages[1].kind, std::string("pool"));
    QCOMPARE(s.stages[5].kind, std::string("linear"));
    // 5x5 convs: 6 maps of 28x28 from 1 channel, 16 maps of 10x10 from 6 channels.
    QCOMPARE(s.stages[0].macs, int64_t{6 * 28 * 28 * 25});
    QCOMPARE(s.stages[2].macs, int64_t{16 * 10 * 10 * 6 * 25});
    QCOMPARE(s.macs, int64_t{117600 + 240000 + 400 * 120 + 120 * 84 + 84 * 10});
    // On 32x32 the first conv is unpadded and the shapes are the classic ones.
    Network l32 = build_network(model("lenet5"), {3, 32, 32}, 10);
    ModelSummary c = summarize(l32);
    QCOMPARE(shapes(c)["conv0"], (Shape{6, 28, 28}));
    QCOMPARE(shapes(c)["flatten"], (Shape{400}));
  }

  void cnvShapes() {
    // FINN CNV: 32x32 -> 30 -> 28 -> 14 -> 12 -> 10 -> 5 -> 3 -> 1; 28x28 inputs are padded to match.
    for (Shape in : {Shape{3, 32, 32}, Shape{1, 28, 28}}) {
      Network net = build_network(model("cnv", 1, 1), in, 10);
      auto m = shapes(summarize(net));
      QCOMPARE(m["conv0"], (Shape{64, 30, 30}));
      QCOMPARE(m["conv1"], (Shape{64, 28, 28}));
      QCOMPARE(m["pool0"], (Shape{64, 14, 14}));
      QCOMPARE(m["conv3"], (Shape{128, 10, 10}));
      QCOMPARE(m["pool1"], (Shape{128, 5, 5}));
      QCOMPARE(m["conv5"], (Shape{256, 1, 1}));
      QCOMPARE(m["fc1"], (Shape{512}));
      QCOMPARE(m["fc2"], (Shape{10}));
    }
  }

  void resnetShapes() {
    Network net = build_network(model("resnet20"), {3, 32, 32}, 10);
    ModelSummary s = summarize(net);
    auto m = shapes(s);
    QCOMPARE(s.stages.size(), size_t{1 + 9 + 2});
    QCOMPARE(m["conv0"], (Shape{16, 32, 32}));
    QCOMPARE(m["block1_2"], (Shape{16, 32, 32}));
    QCOMPARE(m["block2_0"], (Shape{32, 16, 16}));
    QCOMPARE(m["block3_2"], (Shape{64, 8, 8}));
    QCOMPARE(m["avgpool"], (Shape{64}));
    QCOMPARE(m["fc"], (Shape{10}));
    Network r18 = build_network(model("resnet18"), {3, 32, 32}, 100);
    auto m18 = shapes(summarize(r18));
    QCOMPARE(m18["block4_1"], (Shape{512, 4, 4}));
    QCOMPARE(m18["fc"], (Shape{100}));
  }

  void knownParameterCounts() {
    Network lenet = build_network(model("lenet5"), {1, 28, 28}, 10);
    QCOMPARE(count_params(lenet), int64_t{61706});
    QCOMPARE(summarize(lenet).params, int64_t{61706});
    // The hardening paper's Table 1: VGG-11 on CIFAR-10 has 9,228,362 parameters.
    Network vgg = build_network(model("vgg11"), {3, 32, 32}, 10);
    QCOMPARE(count_params(vgg), int64_t{9228362});
    // ResNet-20 with projection shortcuts, counted by hand from the architecture.
    Network r20 = build_network(model("resnet20"), {3, 32, 32}, 10);
    QCOMPARE(count_params(r20), int64_t{272474});
    // MLP 784-256-128-10.
    Network mlp = build_network(model("mlp"), {1, 28, 28}, 10);
    QCOMPARE(count_params(mlp), int64_t{784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10});
    // Quantized weights add their (fixed) bounds as buffers, not parameters.
    Network q = build_network(model("lenet5", 4, 4), {1, 28, 28}, 10);
    QCOMPARE(count_params(q), int64_t{61706});
  }

  void widthMultiplier() {
    Network half = build_network(model("cnv", 0, 0, 0.5), {3, 32, 32}, 10);
    auto m = shapes(summarize(half));
    QCOMPARE(m["conv0"], (Shape{32, 30, 30}));
    QCOMPARE(m["conv5"], (Shape{128, 1, 1}));
    QCOMPARE(m["fc0"], (Shape{256}));
    QCOMPARE(m["fc2"], (Shape{10}));  // the class count is never scaled
    Network twice = build_network(model("mlp", 0, 0, 2.0), {1, 28, 28}, 10);
    auto t = shapes(summarize(twice));
    QCOMPARE(t["fc0"], (Shape{512}));
    QCOMPARE(t["fc1"], (Shape{256}));
    Network r = build_network(model("resnet20", 0, 0, 0.25), {3, 32, 32}, 10);
    QCOMPARE(shapes(summarize(r))["block3_0"], (Shape{16, 8, 8}));
    // Halving every width of a conv net divides the conv parameters by about four.
    Network full = build_network(model("vgg11"), {3, 32, 32}, 10);
    Network small = build_network(model("vgg11", 0, 0, 0.5), {3, 32, 32}, 10);
    double ratio = static_cast<double>(count_params(full)) / count_params(small);
    QVERIFY2(ratio > 3.8 && ratio < 4.1, qPrintable(QString::number(ratio)));
  }

  void unknownModel() {
    QString msg = error_of([] { build_network(model("resnet99"), {1, 28, 28}, 10); });
    QVERIFY2(msg.contains("unknown model \"resnet99\""), qPrintable(msg));
    QVERIFY2(msg.contains("lenet5"), qPrintable(msg));  // lists the known names
    msg = error_of([] { build_network(model("lenet5"), {28, 28}, 10); });
    QVERIFY2(!msg.startsWith("no exception") && !msg.startsWith("wrong"), qPrintable(msg));
    // An input too small for the architecture.
    msg = error_of([] { build_network(model("lenet5"), {1, 4, 4}, 10); });
    QVERIFY2(msg.contains("too small"), qPrintable(msg));
  }

  void blasRunsTheCpusVectorKernels() {
    // tune_process() (initTestCase) replaced OpenBLAS's Prescott fallback on CPUs it does not know.
    const std::string kernels = blas_kernels();
    if (kernels.empty()) QSKIP("LibTorch does not use OpenBLAS here");
    const char* chosen = std::getenv("OPENBLAS_CORETYPE");
    const bool ours = !chosen || std::string(chosen) == "SkylakeX" || std::string(chosen) == "Haswell";
    __builtin_cpu_init();
    if (ours && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      QVERIFY2(kernels != "Prescott", kernels.c_str());
    // Whatever kernels run, products are right: within the forward error bound of a k-term dot
    // product, |C - C_exact| <= gamma_k |A| |B| with gamma_k = k u / (1 - k u), u = 2^-24.
    torch::manual_seed(5);
    const int64_t k = 300;
    torch::Tensor a = torch::randn({257, k}), b = torch::randn({k, 129});
    torch::Tensor exact = torch::mm(a.to(torch::kDouble), b.to(torch::kDouble));
    const double u = std::ldexp(1.0, -24), gamma = k * u / (1 - k * u);
    torch::Tensor bound = gamma * torch::mm(a.abs().to(torch::kDouble), b.abs().to(torch::kDouble));
    QVERIFY(((torch::mm(a, b).to(torch::kDouble) - exact).abs() <= bound).all().item<bool>());
    torch::Tensor batched =
        torch::bmm(a.view({1, 257, k}).expand({3, 257, k}), b.view({1, k, 129}).expand({3, k, 129}));
    QVERIFY(((batched.to(torch::kDouble) - exact.unsqueeze(0)).abs() <= bound.unsqueeze(0)).all().item<bool>());
  }

  void oversizedModelsAreRefusedBeforeAllocation() {
    // ResNet-18 at width 6 would hold ~400 M weights (fuzz_model_record timed out at width 5.25:
    // fuzz/regressions/fuzz_model_record/resnet18_width_5_25_too_large).
    QString msg = error_of([] { build_network(model("resnet18", 0, 0, 6.0), {3, 32, 32}, 10); });
    QVERIFY2(msg.contains("model \"resnet18\" is too large") && msg.contains("parameters") &&
                 msg.contains("limit 268435456") && msg.contains("model.width"),
             qPrintable(msg));
    // VGG-11 on 4096x4096 images: trillions of multiply-accumulates per image.
    msg = error_of([] { build_network(model("vgg11"), {3, 4096, 4096}, 10); });
    QVERIFY2(msg.contains("too large") && msg.contains("multiply-accumulates per image"), qPrintable(msg));
    // The same bound applies to a model file's architecture record.
    const nlohmann::json record = {{"format", "faultscape-model-1"},
                                   {"model", {{"name", "resnet18"}, {"width", 5.25}}},
                                   {"input_shape", {3, 32, 32}},
                                   {"num_classes", 10}};
    msg = error_of([&] { model_from_record(record.dump(), "m.pt"); });
    QVERIFY2(msg.startsWith("m.pt: architecture record: ") && msg.contains("too large"), qPrintable(msg));
  }

  void forwardRangeComposes() {
    torch::manual_seed(3);
    for (const char* name : {"lenet5", "cnv", "resnet20", "mlp"}) {
      Network net = build_network(model(name, std::string(name) == "cnv" ? 2 : 0, std::string(name) == "cnv" ? 2 : 0),
                                  {3, 32, 32}, 10);
      net->eval();
      torch::NoGradGuard no_grad;
      torch::Tensor x = torch::randn({4, 3, 32, 32});
      torch::Tensor full = net->forward(x);
      for (size_t k = 0; k <= net->size(); ++k) {
        torch::Tensor mid = net->forward_range(x, 0, k);
        torch::Tensor out = net->forward_range(mid, k, net->size());
        QVERIFY2(torch::equal(out, full), qPrintable(QString("%1 split at %2").arg(name).arg(k)));
      }
      // Three pieces as well, and the input is not modified by the stages.
      torch::Tensor x0 = x.clone();
      size_t a = net->size() / 3, b = 2 * net->size() / 3;
      torch::Tensor three = net->forward_range(net->forward_range(net->forward_range(x, 0, a), a, b), b, net->size());
      QVERIFY(torch::equal(three, full));
      QVERIFY(torch::equal(x, x0));
      QCOMPARE(net->stage_index(net->stage(a).name), static_cast<int>(a));
      QCOMPARE(net->stage_index("no such stage"), -1);
    }
  }

  // CNV W1A1: binary weights, and every quantized activation is -1 or +1.
  void cnvBinaryActivations() {
    torch::manual_seed(5);
    Network net = build_network(model("cnv", 1, 1), {1, 28, 28}, 10);
    // Let batch norm statistics move away from their defaults first.
    net->train();
    {
      torch::NoGradGuard no_grad;
      net->forward(torch::randn({8, 1, 28, 28}));
    }
    net->eval();
    torch::NoGradGuard no_grad;
    torch::Tensor x = torch::randn({4, 1, 28, 28});
    int acts = 0, layers = 0;
    for (size_t i = 0; i < net->size(); ++i) {
      Stage st = net->stage(i);
      for (const auto& child : st.module->children()) {
        if (auto* c = dynamic_cast<QuantConv2dImpl*>(child.get())) {
          ++layers;
          QCOMPARE(c->quant.bits, 1);
          auto w = c->effective_weight();
          QVERIFY(((w == 1) | (w == -1)).all().item<bool>());
        }
        if (auto* l = dynamic_cast<QuantLinearImpl*>(child.get())) {
          ++layers;
          auto w = l->effective_weight();
          QVERIFY(((w == 1) | (w == -1)).all().item<bool>());
        }
      }
      torch::Tensor y = st.module->forward(x);
      bool has_act = false;
      for (const auto& child : st.module->children())
        if (dynamic_cast<QuantActImpl*>(child.get())) has_act = true;
      if (has_act) {
        ++acts;
        QVERIFY2(((y == 1) | (y == -1)).all().item<bool>(), st.name.c_str());
        QVERIFY2((y == 1).any().item<bool>() && (y == -1).any().item<bool>(), st.name.c_str());
      }
      if (st.kind == "pool") QVERIFY(((y == 1) | (y == -1)).all().item<bool>());
      x = y;
    }
    QCOMPARE(acts, 8);    // six convs and two hidden fully connected layers
    QCOMPARE(layers, 9);  // plus the classifier
    QCOMPARE(x.sizes().vec(), (Shape{4, 10}));
    // The classifier output is not quantized.
    QVERIFY(!((x == 1) | (x == -1)).all().item<bool>());
  }

  void saveLoadRoundTrip() {
    std::string dir = test::fresh_dir("models/roundtrip");
    ModelConfig configs[] = {model("lenet5"), model("cnv", 2, 2, 0.25), model("resnet20", 0, 3, 0.5)};
    configs[1].learnable_clip = true;
    configs[1].act_clip = 1.5;
    for (const ModelConfig& c : configs) {
      torch::manual_seed(9);
      Network net = build_network(c, {3, 32, 32}, 10);
      // Change batch norm running statistics and a learnable bound so that buffers matter.
      net->train();
      {
        torch::NoGradGuard no_grad;
        net->forward(torch::randn({6, 3, 32, 32}) * 2 + 0.5);
        for (auto& p : net->named_parameters())
          if (p.key().find("bound") != std::string::npos) p.value().fill_(1.25);
      }
      net->eval();
      torch::Tensor x = torch::randn({5, 3, 32, 32});
      torch::Tensor before;
      {
        torch::NoGradGuard no_grad;
        before = net->forward(x);
      }
      std::string path = dir + "/" + c.name + "/model.pt";  // parent directory is created
      save_model(net, path, {{"note", "round trip"}, {"epochs", 3}});
      QVERIFY(fs::exists(path));
      QVERIFY(!fs::exists(path + ".tmp"));

      torch::manual_seed(1234);  // a different initialisation must not leak into the loaded model
      LoadedModel loaded = load_model(path);
      QVERIFY(!loaded.net->is_training());
      QCOMPARE(loaded.net->config().name, c.name);
      QCOMPARE(loaded.net->config().weight_bits, c.weight_bits);
      QCOMPARE(loaded.net->config().act_bits, c.act_bits);
      QCOMPARE(loaded.net->config().width, c.width);
      QCOMPARE(loaded.net->config().learnable_clip, c.learnable_clip);
      QCOMPARE(loaded.net->input_shape(), (Shape{3, 32, 32}));
      QCOMPARE(loaded.net->num_classes(), int64_t{10});
      QCOMPARE(loaded.meta.value("note", ""), std::string("round trip"));
      QCOMPARE(loaded.meta.value("epochs", 0), 3);
      QCOMPARE(loaded.meta.at("num_classes").get<int64_t>(), int64_t{10});
      torch::NoGradGuard no_grad;
      QVERIFY2(torch::equal(loaded.net->forward(x), before), c.name.c_str());
      auto a = net->named_buffers(), b = loaded.net->named_buffers();
      QCOMPARE(a.size(), b.size());
      for (const auto& kv : a) QVERIFY2(torch::equal(kv.value(), b[kv.key()]), kv.key().c_str());
    }
  }

  void loadBadFiles() {
    std::string dir = test::fresh_dir("models/bad");
    std::string missing = dir + "/missing.pt";
    QString msg = error_of([&] { load_model(missing); });
    QVERIFY2(msg.contains(QString::fromStdString(missing)), qPrintable(msg));
    QVERIFY2(msg.contains("does not exist"), qPrintable(msg));

    std::string text = dir + "/notes.pt";
    std::ofstream(text) << "this is not a model\n";
    msg = error_of([&] { load_model(text); });
    QVERIFY2(msg.contains(QString::fromStdString(text)), qPrintable(msg));
    QVERIFY2(!msg.startsWith("wrong") && !msg.startsWith("no exception"), qPrintable(msg));

    // A valid LibTorch archive that is not a Faultscape model.
    std::string foreign = dir + "/foreign.pt";
    torch::nn::Linear linear(3, 2);
    torch::save(linear, foreign);
    msg = error_of([&] { load_model(foreign); });
    QVERIFY2(msg.contains(QString::fromStdString(foreign)), qPrintable(msg));
    QVERIFY2(msg.contains("not a Faultscape model"), qPrintable(msg));

    // A truncated model file.
    Network net = build_network(model("lenet5"), {1, 28, 28}, 10);
    std::string good = dir + "/good.pt";
    save_model(net, good);
    std::string cut = dir + "/cut.pt";
    {
      std::ifstream in(good, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    }
    msg = error_of([&] { load_model(cut); });
    QVERIFY2(msg.contains(QString::fromStdString(cut)), qPrintable(msg));
    QVERIFY2(!msg.startsWith("wrong") && !msg.startsWith("no exception"), qPrintable(msg));
  }

  // The architecture record on its own (model_from_record, the fuzz target fuzz_model_record):
  // hostile entries give a ModelError naming the file and the field, never a library's text. The
  // first case is the fuzzer's finding (fuzz/regressions/fuzz_model_record/).
  void modelRecordEntriesAreValidated() {
    const nlohmann::json lenet = {{"format", "faultscape-model-1"},
                                  {"model", {{"name", "lenet5"}}},
                                  {"input_shape", {1, 28, 28}},
                                  {"num_classes", 10}};
    auto error = [&](const nlohmann::json& extra) {
      nlohmann::json r = lenet;
      r.update(extra);
      return error_of([&] { model_from_record(r.dump(), "m.pt"); });
    };
    auto expect = [](const QString& msg, const char* part) {
      QVERIFY2(msg.startsWith("m.pt: ") && msg.contains(part), qPrintable(msg));
    };
    expect(error({{"threshold_act", {0}}}), "threshold_act[0]: expected {\"stage\"");
    expect(error({{"threshold_act", {{{"stage", 5}}}}}), "threshold_act[0]");
    expect(error({{"threshold_act", {{{"stage", "nope"}}}}}), "no stage \"nope\"");
    expect(error({{"threshold_act", {{{"stage", "conv0"}, {"channels", 7}}}}}),
           "threshold_act[0].channels: expected 0 or 6");
    expect(error({{"threshold_act", {{{"stage", "conv0"}, {"channels", "6"}}}}}), "threshold_act[0].channels");
    expect(error({{"threshold_act", {{{"stage", "conv0"}}, {{"stage", "conv0"}}}}}), "threshold_act[1]: a second gate");
    expect(error({{"saturation", {{"conv0", {{"function", "tanh"}, {"s", -1}}}}}}), "saturation.conv0.s");
    expect(error({{"saturation", {{"conv0", {{"function", "relu"}, {"s", 1}}}}}}), "saturation.conv0.function");
    expect(error({{"saturation", {{"pool0", {{"function", "tanh"}, {"s", 1}}}}}}), "saturation.pool0");
    expect(error({{"saturation", 3}}), "saturation: expected an object");
    // Found by fuzz_model_record (fuzz/regressions/fuzz_model_record/format_not_a_string).
    expect(error({{"format", 0}}), "unsupported model file format");
    // Valid entries build: a per-channel gate on conv0 (6 channels), a trained saturating scale.
    nlohmann::json good = lenet;
    good["threshold_act"] = {{{"stage", "conv0"}, {"channels", 6}}};
    good["saturation"] = {{"fc0", {{"function", "atan"}, {"s", 0.5}}}};
    LoadedModel m = model_from_record(good.dump(), "m.pt");
    QCOMPARE(m.net->trained_encodings().at("fc0").function, std::string("atan"));
    QCOMPARE(m.net->trained_encodings().at("fc0").scale, 0.5);
  }
};

QTEST_APPLESS_MAIN(TestModels)
#include "test_models.moc"
