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
#include "models/model_io.h"
#include "models/zoo.h"

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
