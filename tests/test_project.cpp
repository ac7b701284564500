// Project files: defaults, round trip, and a precise message for every kind of invalid input.
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "project/overrides.h"
#include "project/project.h"

#include "test_support.h"

#include <QtTest>

using faultscape::ConfigError;
using faultscape::ValidationError;
using nlohmann::json;

// Readable failure messages for the standard and JSON types compared here.
namespace QTest {
template <>
inline char* toString(const std::string& s) {
  return qstrdup(s.c_str());
}
template <>
inline char* toString(const nlohmann::json& j) {
  return qstrdup(j.dump().c_str());
}
}  // namespace QTest

namespace {

// A valid two-experiment project the invalid-value cases each break in one place.
json valid_project() {
  return json::parse(R"({
    "name": "study", "threads": 2, "seed": 7, "output_dir": "out",
    "experiments": [
      {"name": "a", "dataset": {"name": "synthetic"}, "model": {"name": "mlp"}, "training": {"epochs": 1}},
      {"name": "b", "dataset": {"name": "synthetic"}, "model": {"name": "lenet5"}}
    ]})");
}

// The problems of a document, or an empty list when it is valid.
std::vector<std::string> problems_of(const json& doc) {
  try {
    faultscape::parse_project(doc, "test.json");
  } catch (const ValidationError& e) {
    return e.problems();
  }
  return {};
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = faultscape::test::test_path("test_project/" + name);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

class TestProject : public QObject {
  Q_OBJECT

 private slots:
  void defaults() {
    auto p = faultscape::parse_project(json::object(), "empty.json");
    QCOMPARE(p.name, std::string("default"));
    QCOMPARE(p.path, std::string("empty.json"));
    QCOMPARE(p.threads, 0);
    QCOMPARE(p.device, std::string("auto"));
    QVERIFY(!p.deterministic);
    QCOMPARE(p.seed, uint64_t(1));
    QCOMPARE(p.output_dir, std::string("results"));
    QVERIFY(p.experiments.empty());

    p = faultscape::parse_project(json::parse(R"({"seed": 9, "experiments": [{"name": "e"}]})"), "x");
    const auto& e = p.experiments.at(0);
    // Struct defaults everywhere, except that seeds follow the project's.
    faultscape::DatasetConfig dataset;
    dataset.seed = 9;
    faultscape::TrainConfig training;
    training.seed = 9;
    QCOMPARE(faultscape::to_json(e.dataset), faultscape::to_json(dataset));
    QCOMPARE(faultscape::to_json(e.model), faultscape::to_json(faultscape::ModelConfig{}));
    QCOMPARE(faultscape::to_json(e.training), faultscape::to_json(training));
    QVERIFY(e.load.empty());
    QVERIFY(e.faults_json.is_null());
    QCOMPARE(e.protection_json, json::array());
    QVERIFY(e.campaign_json.is_null());
    QVERIFY(e.protection.empty() && !e.setup.has_faults);
    QCOMPARE(e.setup.campaign.kind, std::string("golden"));

    // An explicit training seed wins over the project's.
    p = faultscape::parse_project(json::parse(R"({"seed": 9, "experiments": [{"name": "e",
        "training": {"seed": 3}}]})"),
                                  "x");
    QCOMPARE(p.experiments[0].training.seed, uint64_t(3));
    QCOMPARE(p.experiments[0].dataset.seed, uint64_t(9));
  }

  void exampleFileWithComments() {
    const std::string path = write_file("example.json", R"({
  "name": "default",            // project name; results go to <output_dir>/<name>.sqlite
  "threads": 0,                  // 0 = all cores
  "seed": 1,
  "output_dir": "results",      // relative paths are relative to the current working directory
  "experiments": [
    { "name": "lenet5-fmnist",
      "dataset":  {"name": "fashion-mnist", "path": "", "train_limit": 0, "test_limit": 0, "normalize": true, "augment": false,
                   "synthetic": {"train": 512, "test": 256, "shape": [1,28,28], "classes": 10}},
      "model":    {"name": "lenet5", "weight_bits": "float", "act_bits": "float", "width": 1.0, "act_clip": 1.0, "learnable_clip": false, "file": ""},
      "training": {"epochs": 5, "batch_size": 64, "optimizer": "adam", "lr": 0.001, "momentum": 0.9, "weight_decay": 0,
                   "lr_halve_every": 0, "loss": "cross_entropy", "seed": 1, "checkpoint": "", "eval_batch_size": 1000},
      "load": "",                // optional: a trained model file to load instead of training
      "faults": null, "protection": [], "campaign": {"kind": "golden"}
    }
  ]
})");
    const auto p = faultscape::load_project(path);
    QCOMPARE(p.path, path);
    QCOMPARE(p.experiments.size(), size_t(1));
    const auto& e = p.experiment("lenet5-fmnist");
    QCOMPARE(e.dataset.name, std::string("fashion-mnist"));
    QCOMPARE(e.model.weight_bits, 0);
    QCOMPARE(e.training.lr, 0.001);
    QCOMPARE(e.campaign_json, json({{"kind", "golden"}}));
    QCOMPARE(e.raw.at("name"), json("lenet5-fmnist"));
    QCOMPARE(p.raw.at("experiments").size(), size_t(1));
  }

  void roundTrip() {
    faultscape::Project p;
    p.name = "rt";
    p.threads = 3;
    p.seed = 18446744073709551615ULL;  // the largest seed survives
    p.output_dir = "some/dir";
    faultscape::Experiment e;
    e.name = "one";
    e.dataset.name = "cifar10";
    e.dataset.path = "/data/c10";
    e.dataset.train_limit = 100;
    e.dataset.augment = true;
    e.dataset.normalize = false;
    e.dataset.synthetic_shape = {3, 8, 8};
    e.dataset.synthetic_classes = 4;
    e.dataset.seed = 5;
    e.model.name = "torchscript";
    e.model.file = "m.pt";
    e.model.weight_bits = 4;
    e.model.act_bits = 1;
    e.model.width = 0.5;
    e.model.act_clip = 2.5;
    e.model.learnable_clip = true;
    e.training.epochs = 2;
    e.training.batch_size = 32;
    e.training.optimizer = "sgd";
    e.training.lr = 0.25;
    e.training.momentum = 0.5;
    e.training.weight_decay = 1e-4;
    e.training.lr_halve_every = 10;
    e.training.loss = "squared_hinge";
    e.training.seed = 11;
    e.training.checkpoint = "ck.pt";
    e.training.eval_batch_size = 7;
    e.load = "trained.pt";
    e.faults_json = {{"kind", "bitflip"}, {"target", "weights"}, {"format", "fp16"}};
    e.protection_json = json::array({{{"scheme", "tmr"}}});
    e.campaign_json = {{"kind", "ber_sweep"}, {"bers", {1e-5}}, {"trials", 3}};
    p.experiments.push_back(e);

    const json saved = faultscape::to_json(p);
    QCOMPARE(saved["experiments"][0]["model"]["weight_bits"], json(4));
    const auto back = faultscape::parse_project(saved, "saved");
    QCOMPARE(faultscape::to_json(back), saved);
    const auto& b = back.experiments.at(0);
    QCOMPARE(back.seed, p.seed);
    QCOMPARE(b.dataset.synthetic_shape, (std::vector<int64_t>{3, 8, 8}));
    QCOMPARE(b.model.act_bits, 1);
    QCOMPARE(b.training.weight_decay, 1e-4);
    QCOMPARE(b.faults_json, e.faults_json);
    // Parsed once, at load: the typed configs the runner uses.
    QCOMPARE(b.setup.fault.kind, std::string("bitflip"));
    QCOMPARE(b.setup.campaign.kind, std::string("ber_sweep"));
    QCOMPARE(b.setup.campaign.trials, 3);
    QCOMPARE(b.protection.size(), size_t{1});
    QCOMPARE(b.protection[0].scheme, std::string("tmr"));
    QCOMPARE(b.protection[0].path, std::string("experiments[0].protection[0]"));

    // Float widths are written as "float".
    QCOMPARE(faultscape::to_json(faultscape::ModelConfig{})["act_bits"], json("float"));
  }

  void invalidValue_data() {
    QTest::addColumn<QString>("pointer");  // where the valid project is broken
    QTest::addColumn<QString>("value");    // JSON text, or "-" to remove the key
    QTest::addColumn<QString>("expected");

    const auto row = [](const char* pointer, const char* value, const char* expected) {
      const QByteArray tag = QByteArray(pointer) + " = " + value;
      QTest::newRow(tag.constData()) << pointer << value << expected;
    };
    row("/device", R"("gpu")", R"(device: expected "auto", "cpu", "cuda" or "cuda:N", got "gpu")");
    row("/device", R"("cuda:x")", R"(device: expected "auto", "cpu", "cuda" or "cuda:N", got "cuda:x")");
    row("/deterministic", "1", "deterministic: expected true or false, got 1");
    row("/experiments/1/model/weight_bits", "12",
        R"(experiments[1].model.weight_bits: expected 1-8 or "float", got 12)");
    row("/experiments/0/model/act_bits", R"("fp32")",
        R"(experiments[0].model.act_bits: expected 1-8 or "float", got "fp32")");
    row("/experiments/0/model/name", R"("lenet")",
        R"(experiments[0].model.name: expected one of "mlp", "lenet5", "cnv", "vgg11", "vgg16", "alexnet", "resnet20", "resnet18", "torchscript", got "lenet")");
    row("/experiments/0/model/name", R"("torchscript")",
        R"(experiments[0].model.file: required when name is "torchscript")");
    row("/experiments/0/model/width", "0", "experiments[0].model.width: expected a number in (0, 64], got 0");
    row("/experiments/0/model/act_clip", "-1.5", "experiments[0].model.act_clip: expected a number > 0, got -1.5");
    row("/experiments/0/model/learnable_clip", R"("yes")",
        R"(experiments[0].model.learnable_clip: expected true or false, got "yes")");
    row("/experiments/0/model/file", "3", "experiments[0].model.file: expected a string, got 3");
    row("/experiments/0/dataset/name", R"("svhn")",
        R"(experiments[0].dataset.name: expected one of "fashion-mnist", "mnist", "cifar10", "cifar100", "synthetic", got "svhn")");
    row("/experiments/0/dataset/train_limit", "-5",
        "experiments[0].dataset.train_limit: expected an integer >= 0, got -5");
    row("/experiments/0/dataset/normalize", "1", "experiments[0].dataset.normalize: expected true or false, got 1");
    row("/experiments/0/dataset/synthetic", "[]", "experiments[0].dataset.synthetic: expected an object, got []");
    row("/experiments/0/dataset/synthetic/shape", "[1,28]",
        "experiments[0].dataset.synthetic.shape: expected [channels, height, width] of integers in 1..4096, got "
        "[1,28]");
    row("/experiments/0/dataset/synthetic/shape", "3",
        "experiments[0].dataset.synthetic.shape: expected an array, got 3");
    row("/experiments/0/dataset/synthetic/classes", "1",
        "experiments[0].dataset.synthetic.classes: expected an integer in 2..100000, got 1");
    row("/experiments/0/dataset/synthetic/seed", "-1",
        "experiments[0].dataset.synthetic.seed: expected an integer >= 0, got -1");
    row("/experiments/0/training/epochs", "-1", "experiments[0].training.epochs: expected an integer >= 0, got -1");
    row("/experiments/0/training/epochs", "2.5", "experiments[0].training.epochs: expected an integer >= 0, got 2.5");
    row("/experiments/0/training/epochs", "99999999999",
        "experiments[0].training.epochs: expected an integer <= 2147483647, got 99999999999");
    row("/experiments/0/training/batch_size", R"("64")",
        R"(experiments[0].training.batch_size: expected an integer >= 1, got "64")");
    row("/experiments/0/training/optimizer", R"("adamw")",
        R"(experiments[0].training.optimizer: expected one of "adam", "sgd", got "adamw")");
    row("/experiments/0/training/lr", "-1", "experiments[0].training.lr: expected a number >= 0, got -1");
    row("/experiments/0/training/lr", "0",
        "experiments[0].training.lr: must be > 0 when training (epochs >= 1); epochs 0 uses the model as it is");
    row("/experiments/0/training/momentum", "1",
        "experiments[0].training.momentum: expected a number in [0, 1), got 1");
    row("/experiments/0/training/weight_decay", "-0.1",
        "experiments[0].training.weight_decay: expected a number >= 0, got -0.1");
    row("/experiments/0/training/lr_halve_every", "-1",
        "experiments[0].training.lr_halve_every: expected an integer >= 0, got -1");
    row("/experiments/0/training/loss", R"("mse")",
        R"(experiments[0].training.loss: expected one of "cross_entropy", "squared_hinge", got "mse")");
    row("/experiments/0/training/seed", "-1", "experiments[0].training.seed: expected an integer >= 0, got -1");
    row("/experiments/0/training/eval_batch_size", "0",
        "experiments[0].training.eval_batch_size: expected an integer >= 1, got 0");
    row("/experiments/0/training", "5", "experiments[0].training: expected an object, got 5");
    row("/experiments/0/load", "false", "experiments[0].load: expected a string, got false");
    row("/experiments/0/protection", R"([{"scheme": "tmr", "vote": "max"}])",
        R"(experiments[0].protection[0].vote: expected one of "median", "min", got "max")");
    row("/experiments/1/protection", R"([{"scheme": "replicate", "k": -2}])",
        "experiments[1].protection[0].k: expected an integer >= 0, got -2");
    row("/experiments/0/name", "-", "experiments[0].name: missing; every experiment needs a unique name");
    row("/experiments/0/name", R"("")", "experiments[0].name: must not be empty");
    row("/experiments/1/name", R"("a")",
        R"(experiments[1].name: duplicate experiment name "a" (also experiments[0].name))");
    row("/experiments/1", "5", "experiments[1]: expected an object, got 5");
    row("/experiments", R"("x")", R"(experiments: expected an array, got "x")");
    row("/threads", "-1", "threads: expected an integer in 0..1024, got -1");
    row("/threads", "2147483647", "threads: expected an integer in 0..1024, got 2147483647");
    row("/experiments/0/name", "\"../up\"",
        "experiments[0].name: must be usable as a file name (no / \\ . .. or control characters), got \"../up\"");
    row("/experiments/0/dataset/synthetic/train", "2000000",
        "experiments[0].dataset.synthetic.train: expected an integer in 1..1000000, got 2000000");
    row("/seed", "1.5", "seed: expected an integer >= 0, got 1.5");
    row("/name", R"("")", "name: must not be empty");
    row("/name", R"("a/b")", R"(name: must be usable as a file name, got "a/b")");
    row("/output_dir", "null", "output_dir: expected a string, got null");
    row("/experiments/0/training/epochs", R"("a string far too long to be quoted whole in a message")",
        "experiments[0].training.epochs: expected an integer >= 0, got \"a string far too long to be quoted w...");
  }

  void invalidValue() {
    QFETCH(QString, pointer);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    json doc = valid_project();
    const json::json_pointer where(pointer.toStdString());
    if (value == "-") {
      doc[where.parent_pointer()].erase(where.back());
    } else {
      doc[where] = json::parse(value.toStdString());
    }
    const auto problems = problems_of(doc);
    QCOMPARE(problems.size(), size_t(1));
    QCOMPARE(QString::fromStdString(problems[0]), expected);
  }

  void severalProblemsTogether() {
    json doc = valid_project();
    doc["threads"] = "many";
    doc["experiments"][0]["training"]["lr"] = -1;
    doc["experiments"][1]["model"]["weight_bits"] = 12;
    try {
      faultscape::parse_project(doc, "study.json");
      QFAIL("expected a ValidationError");
    } catch (const ConfigError& e) {  // ValidationError is a ConfigError
      QCOMPARE(std::string(e.what()),
               std::string("study.json: 3 problem(s)\n"
                           "  threads: expected an integer in 0..1024, got \"many\"\n"
                           "  experiments[0].training.lr: expected a number >= 0, got -1\n"
                           "  experiments[1].model.weight_bits: expected 1-8 or \"float\", got 12"));
      const auto* v = dynamic_cast<const ValidationError*>(&e);
      QVERIFY(v);
      QCOMPARE(v->source(), std::string("study.json"));
      QCOMPARE(v->problems().size(), size_t(3));
      QCOMPARE(v->problems()[1], std::string("experiments[0].training.lr: expected a number >= 0, got -1"));
    }
  }

  void unknownKeys() {
    json doc = valid_project();
    doc["outputdir"] = "x";
    doc["experiments"][0]["training"]["epoch"] = 3;
    doc["experiments"][1]["model"]["zzz"] = 1;
    doc["experiments"][1]["dataset"]["synthetic"]["clases"] = 3;
    // Faults, protection and campaign are validated here too (test_campaign and test_protect
    // check their messages) and kept verbatim.
    doc["experiments"][0]["faults"] = {{"kind", "stuck_at"}, {"target", "activations"}};
    doc["experiments"][0]["protection"] = json::array({{{"scheme", "tmr"}, {"vot", "min"}}});
    doc["experiments"][0]["campaign"] = {{"kind", "stuck_sweep"}, {"test_limit", 2}};
    const auto problems = problems_of(doc);
    const std::vector<std::string> expected = {
        R"(experiments[0].training.epoch: unknown key (did you mean "epochs"?))",
        R"(experiments[0].protection[0].vot: unknown key (did you mean "vote"?))",
        R"(experiments[1].dataset.synthetic.clases: unknown key (did you mean "classes"?))",
        R"(experiments[1].model.zzz: unknown key; expected one of "act_bits", "act_clip", "file", "learnable_clip", "name", "weight_bits", "width")",
        R"(outputdir: unknown key (did you mean "output_dir"?))",
    };
    QCOMPARE(problems, expected);

    doc.erase("outputdir");
    doc["experiments"][0]["training"].erase("epoch");
    doc["experiments"][1]["model"].erase("zzz");
    doc["experiments"][1]["dataset"]["synthetic"].erase("clases");
    doc["experiments"][0]["protection"][0].erase("vot");
    const auto p = faultscape::parse_project(doc, "ok");
    QCOMPARE(p.experiments[0].faults_json, doc["experiments"][0]["faults"]);
    QCOMPARE(p.experiments[0].protection_json, doc["experiments"][0]["protection"]);
    QCOMPARE(p.experiments[0].campaign_json, doc["experiments"][0]["campaign"]);
  }

  void malformedJson() {
    const std::string path = write_file("bad.json", "{\n  \"name\": \"x\",\n  \"seed\": 1,,\n}\n");
    try {
      faultscape::load_project(path);
      QFAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      const std::string message = e.what();
      const std::string prefix = path + ": invalid JSON at line 3, column 13: ";
      QVERIFY2(message.rfind(prefix, 0) == 0, message.c_str());
      QVERIFY2(message.find("syntax error") != std::string::npos, message.c_str());
      QVERIFY2(message.find("json.exception") == std::string::npos, message.c_str());
    }

    // Truncated: the position is just past the end of the text, where more was expected.
    const std::string cut = write_file("cut.json", "{\"name\": \"x\",\n \"experiments\": [");
    try {
      faultscape::load_project(cut);
      QFAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      QVERIFY2(std::string(e.what()).rfind(cut + ": invalid JSON at line 2, column 18: ", 0) == 0, e.what());
    }
  }

  void rootNotAnObject() {
    const std::string path = write_file("array.json", "[1, 2]");
    try {
      faultscape::load_project(path);
      QFAIL("expected a ValidationError");
    } catch (const ValidationError& e) {
      QCOMPARE(e.problems(), std::vector<std::string>{"(root): expected an object, got [1,2]"});
    }
  }

  void missingFile() {
    const std::string path = faultscape::test::test_path("test_project/does-not-exist.json");
    try {
      faultscape::load_project(path);
      QFAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      QCOMPARE(std::string(e.what()), path + ": project file not found");
    }
    QVERIFY_THROWS_EXCEPTION(ConfigError, faultscape::load_project(faultscape::test::fresh_dir("test_project_dir")));
  }

  void experimentLookupAndDatabasePath() {
    const auto p = faultscape::parse_project(valid_project(), "study.json");
    QCOMPARE(p.experiment("b").model.name, std::string("lenet5"));
    try {
      p.experiment("c");
      QFAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      QCOMPARE(std::string(e.what()), std::string("study.json: no experiment named \"c\" (experiments: a, b)"));
    }
    QCOMPARE(p.database_path(), std::string("out/study.sqlite"));
  }

  void commandLineOverrides() {
    json doc = valid_project();
    faultscape::apply_override(doc, "training.epochs=3");  // every experiment
    QCOMPARE(doc["experiments"][0]["training"]["epochs"], json(3));
    QCOMPARE(doc["experiments"][1]["training"]["epochs"], json(3));
    faultscape::apply_override(doc, R"(protection=[{"scheme": "tmr"}])", "b");  // only experiment b
    QVERIFY(!doc["experiments"][0].contains("protection"));
    QCOMPARE(doc["experiments"][1]["protection"][0]["scheme"], json("tmr"));
    faultscape::apply_override(doc, "experiments[0].dataset.name=mnist");  // text that is not JSON
    QCOMPARE(doc["experiments"][0]["dataset"]["name"], json("mnist"));
    faultscape::apply_override(doc, "threads=1");
    QCOMPARE(doc["threads"], json(1));
    QVERIFY(problems_of(doc).empty());
    // The result is validated like a file: a bad value names its field.
    faultscape::apply_override(doc, "training.lr=-2");
    QCOMPARE(problems_of(doc).front(), std::string("experiments[0].training.lr: expected a number >= 0, got -2"));
    auto error = [&](const std::string& assignment, const std::string& experiment = "") {
      try {
        faultscape::apply_override(doc, assignment, experiment);
      } catch (const ConfigError& e) {
        return std::string(e.what());
      }
      return std::string();
    };
    QCOMPARE(error("epochs"), std::string("--set epochs: expected KEY=VALUE"));
    QCOMPARE(error("experiments[5].name=x"),
             std::string("--set experiments[5].name=x: index [5] is not in the document"));
    QCOMPARE(error("seed=1", "zz"), std::string());  // a root key ignores the experiment filter
    QCOMPARE(error("campaign.trials=2", "zz"), std::string("--set campaign.trials=2: no experiment named \"zz\""));
    // Found by fuzz_overrides (fuzz/regressions/fuzz_overrides/): an earlier --set that makes a name
    // a number used to throw nlohmann's type error from the experiment filter; now that experiment
    // simply does not match, and validation names the field.
    QCOMPARE(error("experiments[0].name=5"), std::string());
    QCOMPARE(error("campaign.trials=3", "b"), std::string());
    QCOMPARE(doc["experiments"][1]["campaign"]["trials"], json(3));
    QCOMPARE(error("campaign.trials=4", "a"), std::string("--set campaign.trials=4: no experiment named \"a\""));
    const std::vector<std::string> problems = problems_of(doc);
    QVERIFY(std::any_of(problems.begin(), problems.end(),
                        [](const std::string& p) { return p.rfind("experiments[0].name", 0) == 0; }));
    // Found by fuzz_overrides (fuzz/regressions/fuzz_overrides/set_value_not_utf8): a VALUE that is
    // neither JSON nor UTF-8 is kept as text, and its problem message printed it with dump(), which
    // threw nlohmann's type error. Now the bad byte prints as U+FFFD.
    faultscape::apply_override(doc, "protection=[{\"scheme\": 2000000000z\xa2", "b");
    const std::vector<std::string> utf8 = problems_of(doc);
    QVERIFY(std::any_of(utf8.begin(), utf8.end(), [](const std::string& p) {
      return p.rfind("experiments[1].protection", 0) == 0 && p.find("\xef\xbf\xbd") != std::string::npos;
    }));
  }

  void standAloneParsers() {
    faultscape::TrainConfig base;
    base.epochs = 9;
    const auto t = faultscape::parse_train_config({{"lr", 0.5}}, "--training", base);
    QCOMPARE(t.lr, 0.5);
    QCOMPARE(t.epochs, 9);
    try {
      faultscape::parse_train_config({{"lr", 0}}, "--training");
      QFAIL("expected a ValidationError");
    } catch (const ValidationError& e) {
      QCOMPARE(std::string(e.what()), std::string("--training: 1 problem(s)\n  lr: must be > 0 when training (epochs "
                                                  ">= 1); epochs 0 uses the model as it is"));
    }
    const auto m = faultscape::parse_model_config({{"name", "vgg11"}, {"weight_bits", 2}}, "--model");
    QCOMPARE(m.name, std::string("vgg11"));
    QCOMPARE(m.weight_bits, 2);
    const auto d =
        faultscape::parse_dataset_config({{"name", "synthetic"}, {"synthetic", {{"train", 64}}}}, "--dataset");
    QCOMPARE(d.synthetic_train, int64_t(64));
    QVERIFY_THROWS_EXCEPTION(ValidationError, faultscape::parse_dataset_config({{"nam", "mnist"}}, "--dataset"));

    const auto e = faultscape::parse_experiment({{"name", "cli"}, {"model", {{"name", "mlp"}}}}, "options", 42);
    QCOMPARE(e.name, std::string("cli"));
    QCOMPARE(e.training.seed, uint64_t(42));
    QVERIFY_THROWS_EXCEPTION(ValidationError, faultscape::parse_experiment(json::object(), "options"));
  }
};

QTEST_APPLESS_MAIN(TestProject)
#include "test_project.moc"
