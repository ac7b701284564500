// TorchScript import: a sequence of children becomes one stage per child (activation faults go
// between them), any other module one stage that weight faults still reach; bad files are named.
// The scripted modules are built here with torch::jit::Module::define, saved like torch.jit.save.
#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "faults/fault_model.h"
#include "faults/sites.h"
#include "faults/weight_faults.h"
#include "common/observer.h"
#include "models/max_pool.h"
#include "models/model_io.h"
#include "models/summary.h"
#include "models/zoo.h"
#include "project/project.h"
#include "store/result_store.h"
#include "study/experiment_runner.h"

#include "script_models.h"
#include "test_support.h"

#include <QtTest>

using namespace faultscape;
namespace fs = std::filesystem;

namespace {

torch::jit::Module linear_module(const std::string& type, int64_t in, int64_t out, bool relu) {
  torch::jit::Module m("__torch__." + type);
  m.register_parameter("weight", torch::randn({out, in}) * 0.1, false);
  m.register_parameter("bias", torch::randn({out}) * 0.1, false);
  m.define(relu ? "def forward(self, x):\n  return torch.relu(torch.matmul(x, self.weight.t()) + self.bias)\n"
                : "def forward(self, x):\n  return torch.matmul(x, self.weight.t()) + self.bias\n");
  return m;
}

torch::jit::Module flatten_module() {
  torch::jit::Module m("__torch__.Flat");
  m.define("def forward(self, x):\n  return torch.flatten(x, 1)\n");
  return m;
}

// flatten -> fc0 (relu) -> fc1, run in order by the top module.
std::string save_sequential() {
  torch::jit::Module top("__torch__.Net");
  top.register_module("flat", flatten_module());
  top.register_module("fc0", linear_module("Hidden", 16, 8, true));
  top.register_module("fc1", linear_module("Out", 8, 3, false));
  top.define(
      "def forward(self, x):\n  x = self.flat.forward(x)\n  x = self.fc0.forward(x)\n  return self.fc1.forward(x)\n");
  std::string path = test::test_path("sequential.pt");
  top.save(path);
  return path;
}

// Children used out of order (a skip connection): not a sequence.
std::string save_skip() {
  torch::jit::Module top("__torch__.Skip");
  top.register_module("flat", flatten_module());
  top.register_module("fc0", linear_module("Square", 16, 16, true));
  top.register_module("fc1", linear_module("Head", 16, 3, false));
  top.define("def forward(self, x):\n  x = self.flat.forward(x)\n  return self.fc1.forward(x + self.fc0.forward(x))\n");
  std::string path = test::test_path("skip.pt");
  top.save(path);
  return path;
}

ModelConfig script_config(const std::string& file) {
  ModelConfig m;
  m.name = "torchscript";
  m.file = file;
  return m;
}

std::vector<std::string> kinds(const Network& net) {
  std::vector<std::string> out;
  for (const auto& st : net->stages()) out.push_back(st.kind);
  return out;
}

bool same_output(Network& net, const std::string& path, const std::vector<int64_t>& shape) {
  torch::NoGradGuard no_grad;
  net->eval();
  torch::jit::Module original = torch::jit::load(path);
  original.eval();
  torch::Tensor x = torch::rand(shape);
  torch::Tensor expect = original.forward({x}).toTensor();
  return torch::allclose(net->forward(x), expect, 1e-5, 1e-5 * (expect.abs().max().item<double>() + 1));
}

struct Logs : Observer {
  std::string text;
  void on_log(const std::string& line) override { text += line + "\n"; }
};

// A project whose one experiment uses the TorchScript CNN as it is (no training object).
nlohmann::json use_as_is_experiment(const std::string& file, nlohmann::json faults, nlohmann::json campaign) {
  nlohmann::json e = {
      {"name", "imported"},
      {"dataset", {{"name", "synthetic"}, {"synthetic", {{"train", 16}, {"test", 40}}}, {"normalize", false}}},
      {"model", {{"name", "torchscript"}, {"file", file}}}};
  if (!faults.is_null()) e["faults"] = faults;
  if (!campaign.is_null()) e["campaign"] = campaign;
  return e;
}

Project project_of(nlohmann::json experiment, const std::string& dir) {
  nlohmann::json j = {{"name", "byom"},
                      {"seed", 3},
                      {"threads", 1},
                      {"output_dir", dir},
                      {"experiments", nlohmann::json::array({experiment})}};
  return parse_project(j, "test project");
}

}  // namespace

class TestTorchScript : public QObject {
  Q_OBJECT

 private slots:
  void sequenceBecomesStages() {
    torch::manual_seed(1);
    std::string path = save_sequential();
    Network net = build_network(script_config(path), {1, 4, 4}, 3);
    QCOMPARE(net->size(), size_t{3});
    QCOMPARE(net->stage(0).name, std::string("flat"));
    QCOMPARE(net->stage(1).kind, std::string("linear"));
    QCOMPARE(net->stage(2).name, std::string("fc1"));
    net->eval();
    torch::NoGradGuard no_grad;
    torch::Tensor x = torch::rand({5, 1, 4, 4});
    torch::jit::Module original = torch::jit::load(path);
    original.eval();
    torch::Tensor expect = original.forward({x}).toTensor();
    QVERIFY(torch::allclose(net->forward(x), expect));
    // Stages compose, so faults can go between children.
    QVERIFY(torch::allclose(net->forward_range(net->forward_range(x, 0, 2), 2, 3), expect));

    // Weight faults hit the scripted parameters in place and are undone exactly.
    FaultModel f;
    f.kind = "bitflip";
    f.target = "weights";
    f.tensors = {"weight", "bias"};
    auto sites = weight_sites(net, f);
    QCOMPARE(sites.size(), size_t{4});
    WeightFaultSet set;
    set.faults.push_back({3, 0, 1u << 30, 0, 0, false, 0});  // top exponent bit of fc1.bias[0]
    WeightUndoLog log;
    log.apply(sites, set);
    QVERIFY(!torch::allclose(net->forward(x), expect));
    log.undo(sites);
    QVERIFY(torch::equal(net->forward(x), expect));
  }

  void nonSequentialIsOneStage() {
    torch::manual_seed(2);
    std::string path = save_skip();
    Network net = build_network(script_config(path), {1, 4, 4}, 3);
    QCOMPARE(net->size(), size_t{1});
    QCOMPARE(net->stage(0).kind, std::string("script"));
    FaultModel f;
    f.kind = "bitflip";
    f.target = "weights";
    f.tensors = {"weight"};
    f.layers = {"model"};
    QCOMPARE(weight_sites(net, f).size(), size_t{2});
  }

  // A trained TorchScript network saves and loads like a zoo model.
  void saveLoadRoundTrip() {
    torch::manual_seed(3);
    std::string path = save_sequential();
    Network net = build_network(script_config(path), {1, 4, 4}, 3);
    {
      torch::NoGradGuard no_grad;
      for (auto& p : net->parameters()) p.add_(0.5);  // "trained" away from the file's weights
    }
    std::string saved = test::test_path("script_trained.pt");
    save_model(net, saved, {});
    LoadedModel loaded = load_model(saved);
    torch::NoGradGuard no_grad;
    torch::Tensor x = torch::rand({4, 1, 4, 4});
    net->eval();
    QVERIFY(torch::equal(loaded.net->forward(x), net->forward(x)));
  }

  // Scripted nn layers become Faultscape's own: MACs counted, the campaigns' fast paths apply.
  void adoptsOrdinaryLayers() {
    std::string path = test::test_path("cnn_layers.pt");
    test::save_script_cnn(path);
    Network net = build_network(script_config(path), {1, 28, 28}, 10);
    const std::vector<std::string> expect = {"conv", "activation", "pool",    "conv",   "activation", "pool",
                                             "conv", "activation", "flatten", "linear", "activation", "linear"};
    QCOMPARE(kinds(net), expect);
    // 26*26*32*9 + 11*11*64*32*9 + 3*3*64*64*9 + 576*128 + 128*10 multiply-adds per image.
    QCOMPARE(summarize(net).macs, int64_t{194688 + 2230272 + 331776 + 73728 + 1280});
    QCOMPARE(summarize(net).params, int64_t{320 + 18496 + 36928 + 73856 + 1290});
    QVERIFY(same_output(net, path, {3, 1, 28, 28}));
  }

  // Nested containers open up, and a torch.flatten between them becomes a stage of its own.
  void nestedContainersAndImplicitFlatten() {
    torch::manual_seed(8);
    test::ScriptBuilder features("Features");
    features.conv(1, 4, 3, 1, 1);
    features.batch_norm(4);
    features.op("ReLU", "torch.relu(x)");
    test::ScriptBuilder classifier("Classifier");
    classifier.linear(4 * 6 * 6, 3);
    torch::jit::Module top("__torch__.Vggish");
    top.register_module("features", features.finish());
    top.register_module("classifier", classifier.finish());
    top.define(
        "def forward(self, x):\n  x = self.features.forward(x)\n  x = torch.flatten(x, 1)\n"
        "  return self.classifier.forward(x)\n");
    std::string path = test::test_path("nested.pt");
    top.save(path);
    Network net = build_network(script_config(path), {1, 6, 6}, 3);
    QCOMPARE(net->size(), size_t{5});
    QCOMPARE(net->stage(0).name, std::string("features_l0"));
    QCOMPARE(kinds(net), (std::vector<std::string>{"conv", "norm", "activation", "flatten", "linear"}));
    QVERIFY(same_output(net, path, {4, 1, 6, 6}));
  }

  // Exports of real PyTorch layers (torch.jit.script and torch.jit.trace) where Python has torch.
  void realPythonExports() {
    const std::string dir = test::fresh_dir("python_exports");
    const std::string script =
        "import sys, torch, torch.nn as nn\n"
        "torch.manual_seed(0)\n"
        "net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.LeakyReLU(0.1), "
        "nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, stride=2, bias=False), nn.ReLU6(), nn.Dropout(0.2), nn.Flatten(), "
        "nn.Linear(72, 10)).eval()\n"
        "net[1].running_mean.uniform_(-0.5, 0.5); net[1].running_var.uniform_(0.5, 1.5)\n"
        "torch.jit.script(net).save(sys.argv[1] + '/scripted.pt')\n"
        "torch.jit.trace(net, torch.rand(1, 1, 14, 14)).save(sys.argv[1] + '/traced.pt')\n";
    std::ofstream(dir + "/export.py") << script;
    if (std::system(("/usr/bin/python3 " + dir + "/export.py " + dir + " > /dev/null 2>&1").c_str()) != 0)
      QSKIP("python3 with torch (Debian: python3-torch) is not installed: real torch.jit exports not checked");
    for (const char* name : {"scripted.pt", "traced.pt"}) {
      const std::string path = dir + "/" + name;
      Network net = build_network(script_config(path), {1, 14, 14}, 10);
      QCOMPARE(kinds(net), (std::vector<std::string>{"conv", "norm", "activation", "pool", "conv", "activation",
                                                     "activation", "flatten", "linear"}));
      QVERIFY2(summarize(net).macs > 0, name);
      // Scripted layers pass their arguments through control flow: read from the attributes.
      QVERIFY2(dynamic_cast<MaxPoolImpl*>(net->stage(3).module->children()[0].get()), name);
      QVERIFY2(same_output(net, path, {5, 1, 14, 14}), name);
    }
  }

  // A pretrained network as it is: no training object, no training run, the file's own weights;
  // a stuck sweep and a BER sweep run on it. `load` takes the TorchScript file as well.
  void useAsIsWithoutTraining() {
    std::string path = test::test_path("cnn_as_is.pt");
    test::save_script_cnn(path, 9);
    const std::string dir = test::fresh_dir("byom");
    nlohmann::json stuck = {{"kind", "stuck_at"},
                            {"target", "activations"},
                            {"granularity", "channel"},
                            {"stuck_values", nlohmann::json::array({0, 1})},
                            {"layers", nlohmann::json::array({"l3"})}};
    nlohmann::json ber = {{"kind", "bitflip"}, {"target", "weights"}, {"format", "fp32"}};
    for (const auto& [faults, campaign] : std::vector<std::pair<nlohmann::json, nlohmann::json>>{
             {stuck, {{"kind", "stuck_sweep"}}},
             {ber, {{"kind", "ber_sweep"}, {"bers", nlohmann::json::array({1e-4})}, {"trials", 3}}}}) {
      Project project = project_of(use_as_is_experiment(path, faults, campaign), dir);
      QCOMPARE(project.experiments[0].training.epochs, 0);
      ResultStore store(project.database_path());
      Logs logs;
      RunControl control;
      control.observer = &logs;
      ExperimentOutcome out = run_experiment(project, project.experiments[0], store, control);
      QCOMPARE(out.train_run, int64_t{0});
      QVERIFY(out.campaign_run > 0);
      QVERIFY2(out.campaign.contains("paths"), "the summary says which evaluation ran");
      QVERIFY(out.campaign.at("faulty_inferences_per_second").get<double>() > 0);
      QVERIFY2(logs.text.find("as it is") != std::string::npos, logs.text.c_str());
      // The golden accuracy is the file's own network on the test images.
      DatasetSplit data = load_dataset(project.experiments[0].dataset);
      torch::jit::Module original = torch::jit::load(path);
      original.eval();
      torch::NoGradGuard no_grad;
      torch::Tensor logits = original.forward({data.test.images}).toTensor();
      const double expect = 100.0 * logits.argmax(1).eq(data.test.labels).sum().item<double>() / data.test.size();
      QCOMPARE(out.evaluation.accuracy, expect);
      // An untrained network is near chance: the run says what usually causes that.
      if (expect < 15) QVERIFY2(logs.text.find("near chance") != std::string::npos, logs.text.c_str());
    }
    nlohmann::json loaded = use_as_is_experiment(path, stuck, {{"kind", "stuck_sweep"}});
    loaded["model"] = {{"name", "lenet5"}};
    loaded["training"] = {{"epochs", 3}};
    loaded["load"] = path;
    Project project = project_of(loaded, dir);
    ResultStore store(project.database_path());
    ExperimentOutcome out = run_experiment(project, project.experiments[0], store, RunControl{});
    QCOMPARE(out.train_run, int64_t{0});
    QCOMPARE(out.model_path, path);
  }

  void epochsZeroAcceptsLrZero() {
    nlohmann::json e = use_as_is_experiment("cnn.pt", nullptr, nullptr);
    e["training"] = {{"epochs", 0}, {"lr", 0}};
    QCOMPARE(project_of(e, "out").experiments[0].training.epochs, 0);
    e["training"] = {{"epochs", 2}, {"lr", 0}};
    try {
      project_of(e, "out");
      QFAIL("lr 0 with training accepted");
    } catch (const std::exception& err) {
      QVERIFY2(std::string(err.what()).find("training.lr") != std::string::npos, err.what());
    }
  }

  void importChecksClassCount() {
    std::string path = test::test_path("cnn_classes.pt");
    test::save_script_cnn(path);
    try {
      build_network(script_config(path), {1, 28, 28}, 5);
      QFAIL("10 logits accepted for 5 classes");
    } catch (const std::exception& e) {
      QVERIFY2(std::string(e.what()).find("5 classes") != std::string::npos, e.what());
    }
  }

  void badFilesAreNamed() {
    auto message = [](const ModelConfig& m, std::vector<int64_t> shape) {
      try {
        build_network(m, shape, 3);
      } catch (const std::exception& e) {
        return QString(e.what());
      }
      return QString("no exception");
    };
    QString msg = message(script_config(""), {1, 4, 4});
    QVERIFY2(msg.contains("model.file"), qPrintable(msg));
    std::string junk = test::test_path("junk.pt");
    std::ofstream(junk) << "not a zip archive";
    msg = message(script_config(junk), {1, 4, 4});
    QVERIFY2(msg.contains("junk.pt") && msg.contains("TorchScript"), qPrintable(msg));
    msg = message(script_config(save_sequential()), {3, 8, 8});  // 192 inputs for a 16-input layer
    QVERIFY2(msg.contains("does not accept"), qPrintable(msg));
  }
};

QTEST_GUILESS_MAIN(TestTorchScript)
#include "test_torchscript.moc"
