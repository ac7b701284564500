// faultscape-cli end to end: bad inputs (truncated IDX file, CIFAR file of the wrong size,
// malformed and invalid project JSON, unknown model, missing dataset directory, an unwritable
// model path) each exit non-zero with one "error: ..." line naming the problem and leave no run
// marked complete; the happy paths of train --json and info --json.
#include <torch/cuda.h>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/result_store.h"

#include "script_models.h"

#include <QtTest>
#include <QProcess>

using namespace faultscape;
namespace fs = std::filesystem;
using nlohmann::json;

#ifndef FAULTSCAPE_CLI
#error "FAULTSCAPE_CLI must name the faultscape-cli binary"
#endif

namespace {

struct Result {
  int exit_code = -1;
  bool crashed = false;
  QString out, err;
  QStringList err_lines() const { return err.split('\n', Qt::SkipEmptyParts); }
  QStringList out_lines() const { return out.split('\n', Qt::SkipEmptyParts); }
  QString describe() const {
    return QString("exit %1%2\nstdout:\n%3\nstderr:\n%4").arg(exit_code).arg(crashed ? " (crashed)" : "").arg(out, err);
  }
};

void write_bytes(const fs::path& file, const std::vector<uint8_t>& bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void write_text(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

void put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}

// An IDX file: magic, dimensions, then `payload` bytes (fewer than the dimensions promise = truncated).
std::vector<uint8_t> idx(uint32_t magic, const std::vector<uint32_t>& dims, size_t payload) {
  std::vector<uint8_t> v;
  put32(v, magic);
  for (uint32_t d : dims) put32(v, d);
  for (size_t i = 0; i < payload; ++i) v.push_back(static_cast<uint8_t>(i % 10));
  return v;
}

// A project with one experiment; `patch` is merged into the experiment.
json project(const std::string& output_dir, const json& patch) {
  json e = {{"name", "exp"},
            {"dataset", {{"name", "synthetic"}, {"synthetic", {{"train", 64}, {"test", 32}}}}},
            {"model", {{"name", "mlp"}}},
            {"training", {{"epochs", 1}, {"batch_size", 32}}}};
  e.merge_patch(patch);
  return {{"name", "cli-test"}, {"output_dir", output_dir}, {"threads", 1}, {"experiments", json::array({e})}};
}

}  // namespace

class TestCli : public QObject {
  Q_OBJECT

  fs::path dir_;

  Result cli(const QStringList& args, int timeout_ms = 120000) {
    QProcess p;
    p.setWorkingDirectory(QString::fromStdString(dir_.string()));
    p.start(FAULTSCAPE_CLI, args);
    Result r;
    if (!p.waitForStarted(10000)) {
      r.err = "could not start " + QString(FAULTSCAPE_CLI);
      return r;
    }
    if (!p.waitForFinished(timeout_ms)) {
      p.kill();
      p.waitForFinished();
      r.err = "timed out: " + args.join(' ');
      return r;
    }
    r.crashed = p.exitStatus() != QProcess::NormalExit;
    r.exit_code = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
  }

  // A failure: non-zero exit, stderr exactly one line "error: ..." containing every `needles`.
  bool check_error(const Result& r, const QStringList& needles) {
    bool ok = !r.crashed && r.exit_code != 0 && r.exit_code != -1;
    QStringList lines = r.err_lines();
    ok = ok && lines.size() == 1 && lines[0].startsWith("error: ");
    for (const auto& n : needles) ok = ok && !lines.isEmpty() && lines.back().contains(n);
    if (!ok) qWarning("%s", qPrintable(r.describe() + "\nexpected: " + needles.join(" | ")));
    return ok;
  }

  // The runs of a project's database (none when the database was never created).
  std::vector<RunRow> runs_of(const std::string& output_dir) {
    fs::path db = dir_ / output_dir / "cli-test.sqlite";
    if (!fs::exists(db)) return {};
    ResultStore store(db.string());
    return store.runs();
  }

  // After a failed run: no run of the database is marked complete.
  static bool none_complete(const std::vector<RunRow>& runs) {
    for (const auto& run : runs) {
      if (run.status == "complete") {
        qWarning("run %lld (%s) is complete after a failure", static_cast<long long>(run.id), run.kind.c_str());
        return false;
      }
    }
    return true;
  }

  // Writes a project file and runs it quietly.
  Result run_project(const std::string& name, const json& patch) {
    write_text(dir_ / (name + ".json"), project("out_" + name, patch).dump(2));
    return cli({"run", QString::fromStdString(name + ".json"), "--quiet"});
  }

 private slots:
  void initTestCase() {
    dir_ = fs::path(FAULTSCAPE_TEST_TMP) / "cli";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    QVERIFY2(fs::exists(FAULTSCAPE_CLI), FAULTSCAPE_CLI);
  }

  void truncatedIdx() {
    // A complete Fashion-MNIST-shaped directory except that the training images stop early.
    fs::path ds = dir_ / "idx";
    write_bytes(ds / "train-images-idx3-ubyte", idx(0x803, {20, 28, 28}, 1000));
    write_bytes(ds / "train-labels-idx1-ubyte", idx(0x801, {20}, 20));
    write_bytes(ds / "t10k-images-idx3-ubyte", idx(0x803, {5, 28, 28}, 5 * 784));
    write_bytes(ds / "t10k-labels-idx1-ubyte", idx(0x801, {5}, 5));
    Result r = run_project("idx", {{"dataset", {{"name", "fashion-mnist"}, {"path", ds.string()}}}});
    QVERIFY(check_error(r, {"train-images-idx3-ubyte", "truncated", QString::number(16 + 20 * 784)}));
    QVERIFY(none_complete(runs_of("out_idx")));

    // The same through train's options.
    Result t = cli({"train", "--dataset", "fashion-mnist", "--data-path", QString::fromStdString(ds.string()),
                    "--model", "mlp", "--epochs", "1", "-q", "-o", "out_idx_train"});
    QVERIFY(check_error(t, {"train-images-idx3-ubyte", "truncated"}));

    // Control: once the file is whole, the same directory trains (proves the error was the truncation).
    write_bytes(ds / "train-images-idx3-ubyte", idx(0x803, {20, 28, 28}, 20 * 784));
    Result ok = run_project("idx_ok", {{"dataset", {{"name", "fashion-mnist"}, {"path", ds.string()}}}});
    QVERIFY2(ok.exit_code == 0, qPrintable(ok.describe()));
  }

  void cifarWrongSize() {
    fs::path ds = dir_ / "cifar";
    std::vector<uint8_t> bytes(3073 * 2 + 5, 1);  // two records and five stray bytes
    write_bytes(ds / "data_batch_1.bin", bytes);
    Result r = run_project("cifar", {{"dataset", {{"name", "cifar10"}, {"path", ds.string()}}}});
    QVERIFY(check_error(r, {"data_batch_1.bin", QString::number(3073 * 2 + 5), "3073"}));
    QVERIFY(none_complete(runs_of("out_cifar")));
  }

  void malformedJson() {
    write_text(dir_ / "malformed.json",
               "{\n  \"name\": \"cli-test\",\n  \"experiments\": [\n    {\"name\": \"a\",,}\n  ]\n}\n");
    Result r = cli({"run", "malformed.json", "-q"});
    QVERIFY(check_error(r, {"malformed.json", "invalid JSON", "line 4"}));
    write_text(dir_ / "empty.json", "");
    QVERIFY(check_error(cli({"run", "empty.json", "-q"}), {"empty.json", "invalid JSON"}));
    QVERIFY(check_error(cli({"run", "no-such-project.json", "-q"}), {"no-such-project.json", "not found"}));
  }

  void invalidProject() {
    Result r = run_project("bits", {{"model", {{"name", "cnv"}, {"weight_bits", 12}}}});
    QVERIFY(check_error(r, {"bits.json", "experiments[0].model.weight_bits: expected 1-8 or \"float\", got 12"}));
    QVERIFY(!fs::exists(dir_ / "out_bits" / "cli-test.sqlite"));  // nothing ran
    // The same check on the command line.
    Result t = cli({"train", "--dataset", "synthetic", "--model", "cnv", "--weight-bits", "12", "-q"});
    QVERIFY(check_error(t, {"weight_bits: expected 1-8 or \"float\", got 12"}));
  }

  void unknownModel() {
    Result r = run_project("model", {{"model", {{"name", "resnet99"}}}});
    QVERIFY(check_error(r, {"experiments[0].model.name", "resnet99"}));
    QVERIFY(none_complete(runs_of("out_model")));
    Result t = cli({"train", "--dataset", "synthetic", "--model", "resnet99", "-q", "-o", "out_model_train"});
    QVERIFY(check_error(t, {"resnet99"}));
    Result i = cli({"info", "--model", "resnet99"});
    QVERIFY(check_error(i, {"resnet99"}));
  }

  void missingDatasetPath() {
    std::string path = (dir_ / "no" / "such" / "dir").string();
    Result r = run_project("nodata", {{"dataset", {{"name", "fashion-mnist"}, {"path", path}}}});
    QVERIFY(check_error(r, {QString::fromStdString(path), "does not exist"}));
    QVERIFY(none_complete(runs_of("out_nodata")));
    Result e = cli({"eval", "no-model.pt", "-q"});
    QVERIFY(check_error(e, {"no-model.pt"}));
  }

  // The device setting: an invalid one is refused by the option parser and the project reader; a
  // GPU this machine does not have is refused before anything runs; "cpu" and "auto" run and the
  // runs record where they computed.
  void deviceSetting() {
    Result bad = cli({"train", "--dataset", "synthetic", "--device", "gpu", "-q"});
    QVERIFY(check_error(bad, {"--device", "gpu"}));
    json doc = project("out_device_bad", json::object());
    doc["device"] = "tpu";
    write_text(dir_ / "device_bad.json", doc.dump(2));
    QVERIFY(check_error(cli({"run", "device_bad.json", "-q"}), {"device_bad.json", "device", "tpu"}));
    write_text(dir_ / "device.json", project("out_device", json::object()).dump(2));
    if (!torch::cuda::is_available()) {
      Result missing = cli({"run", "device.json", "--device", "cuda:0", "-q", "-o", "out_device_cuda"});
      QVERIFY(check_error(missing, {"device", "cuda:0", "no CUDA GPU"}));
      QVERIFY(!fs::exists(dir_ / "out_device_cuda" / "cli-test.sqlite"));
    }
    for (const char* setting : {"cpu", "auto"}) {
      const std::string out = std::string("out_device_") + setting;
      Result r = cli({"run", "device.json", "--device", setting, "-q", "-o", QString::fromStdString(out)});
      QVERIFY2(r.exit_code == 0, qPrintable(r.describe()));
      const std::vector<RunRow> runs = runs_of(out);
      QVERIFY(!runs.empty());
      const bool gpu = torch::cuda::is_available() && std::string(setting) == "auto";
      for (const RunRow& run : runs) QCOMPARE(run.config.value("device", ""), std::string(gpu ? "cuda:0" : "cpu"));
    }
  }

  // A failure after training began (the model cannot be saved): the train run is recorded as failed.
  void failureAfterRunBegan() {
    write_text(dir_ / "blocker", "a file where a directory is needed\n");
    Result r = run_project("save", {{"training", {{"checkpoint", "blocker/model.pt"}}}});
    QVERIFY(check_error(r, {"blocker"}));
    std::vector<RunRow> runs = runs_of("out_save");
    QVERIFY(none_complete(runs));
    QCOMPARE(runs.size(), size_t{1});
    QCOMPARE(runs[0].kind, std::string("train"));
    QCOMPARE(runs[0].status, std::string("failed"));
    QVERIFY(!runs[0].error.empty());
    QVERIFY(!runs[0].ended_at.empty());
  }

  void trainJson() {
    Result r = cli({"train", "--dataset", "synthetic", "--model", "mlp", "--epochs", "1", "--json", "--threads", "1"});
    QVERIFY2(r.exit_code == 0 && !r.crashed, qPrintable(r.describe()));
    QStringList lines = r.out_lines();
    QVERIFY(!lines.isEmpty());
    json j = json::parse(lines.back().toStdString(), nullptr, false);
    QVERIFY2(j.is_object(), qPrintable(lines.back()));
    QVERIFY(j.contains("accuracy") && j["accuracy"].is_number());
    double acc = j["accuracy"].get<double>();
    QVERIFY(acc >= 0 && acc <= 100);
    QCOMPARE(j.value("command", ""), std::string("train"));
    QCOMPARE(j.value("threads", 0), 1);
    // The runs are recorded as complete in the default results directory.
    std::string db = j.value("database", "");
    QVERIFY2(fs::exists(dir_ / db), db.c_str());
    ResultStore store((dir_ / db).string());
    auto runs = store.runs();
    QCOMPARE(runs.size(), size_t{2});
    for (const auto& run : runs) QCOMPARE(run.status, std::string("complete"));
    QVERIFY(fs::exists(dir_ / j.value("model_path", "")));
  }

  // One command: overrides, a training-only experiment and a design space, figures of the runs made.
  void runWithOverridesAndPlot() {
#ifndef FAULTSCAPE_HAVE_FIGURES
    Result headless = cli({"run", "ds.json", "--plot", "figs"});
    QVERIFY(check_error(headless, {"--plot", "headless"}));
    QSKIP("a headless build (FAULTSCAPE_GUI=OFF) draws no figures");
#endif
    json design = project("out_ds", json::object())["experiments"][0];
    design["name"] = "grid";
    design["load"] = "out_ds/cli-test/exp.pt";
    design["faults"] = {{"kind", "bitflip"}, {"target", "weights"}, {"format", "fp32"}};
    design["campaign"] = {{"kind", "ber_sweep"},
                          {"bers", {1e-3}},
                          {"trials", 2},
                          {"protection_grid", json::array({json::array({json::array(), {{"scheme", "tmr"}}})})}};
    json doc = project("out_ds", json::object());
    doc["experiments"].push_back(design);
    write_text(dir_ / "ds.json", doc.dump(2));
    Result r = cli({"run", "ds.json", "--json", "--set", "training.batch_size=16", "--set", "campaign.trials=3", "-e",
                    "exp", "--plot", "figs_ds"});
    QVERIFY2(r.exit_code == 0 && !r.crashed, qPrintable(r.describe()));
    json j = json::parse(r.out_lines().back().toStdString(), nullptr, false);
    QVERIFY2(j.is_object() && j.contains("plot"), qPrintable(r.out));
    QVERIFY(fs::exists(dir_ / "figs_ds" /
                       ("run" + std::to_string(j["experiments"][0]["train_run"].get<int>()) + "_training.png")));
    // The design space: --set reaches its campaign, and its Pareto figure comes with its CSV.
    Result g = cli({"run", "ds.json", "--json", "-e", "grid", "--set", "campaign.trials=3", "--protection",
                    R"([{"scheme": "ranger"}])", "--plot", "figs_grid"});
    QVERIFY2(g.exit_code == 0 && !g.crashed, qPrintable(g.describe()));
    json k = json::parse(g.out_lines().back().toStdString(), nullptr, false);
    const json& points = k["experiments"][0]["campaign"]["points"];
    QCOMPARE(points.size(), size_t{2});
    for (const auto& p : points) QCOMPARE(p["accuracy"]["n"].get<int>(), 3);
    for (const char* f : {"pareto.pdf", "pareto.png", "pareto.csv", "ber.png"})
      QVERIFY2(fs::exists(dir_ / "figs_grid" / f), f);
    // A bad override names itself and runs nothing.
    Result bad = cli({"run", "ds.json", "-q", "--set", "experiments[7].name=x"});
    QVERIFY(check_error(bad, {"--set experiments[7].name=x", "index [7]"}));
    Result invalid =
        cli({"run", "ds.json", "-q", "-e", "grid", "--protection", R"([{"scheme": "tmr", "vote": "max"}])"});
    QVERIFY(check_error(invalid, {"experiments[1].protection[0].vote", "got \"max\""}));
  }

  void infoJson() {
    Result r = cli({"info", "--model", "lenet5", "--json"});
    QVERIFY2(r.exit_code == 0, qPrintable(r.describe()));
    json j = json::parse(r.out_lines().back().toStdString(), nullptr, false);
    QVERIFY2(j.is_object(), qPrintable(r.out));
    QCOMPARE(j.value("params", int64_t{0}), int64_t{61706});
    QCOMPARE(j.value("model", ""), std::string("lenet5"));
    QCOMPARE(j.at("stages").back().at("output_shape").get<std::vector<int64_t>>(), (std::vector<int64_t>{10}));
    // Without --json: a table ending with the total.
    Result t = cli({"info", "--model", "vgg11", "--dataset", "cifar10"});
    QVERIFY2(t.exit_code == 0, qPrintable(t.describe()));
    QVERIFY2(t.out_lines().back().contains("9228362"), qPrintable(t.out));
  }

  // A TorchScript file where a model file goes: info (positional or --torchscript) and eval.
  void torchScriptFiles() {
    const std::string file = (dir_ / "cnn.pt").string();
    faultscape::test::save_script_cnn(file);
    for (const QStringList& args : {QStringList{"info", QString::fromStdString(file), "--json"},
                                    QStringList{"info", "--torchscript", QString::fromStdString(file), "--json"}}) {
      Result r = cli(args);
      QVERIFY2(r.exit_code == 0, qPrintable(r.describe()));
      json j = json::parse(r.out_lines().back().toStdString(), nullptr, false);
      QCOMPARE(j.value("params", int64_t{0}), int64_t{130890});
      QCOMPARE(j.at("stages").front().at("kind").get<std::string>(), std::string("conv"));
    }
    Result e = cli(
        {"eval", QString::fromStdString(file), "--dataset", "synthetic", "--no-normalize", "--json", "--threads", "1"});
    QVERIFY2(e.exit_code == 0, qPrintable(e.describe()));
    json j = json::parse(e.out_lines().back().toStdString(), nullptr, false);
    QVERIFY2(j.contains("accuracy") && j["accuracy"].is_number(), qPrintable(e.out));
  }

  void usageErrors() {
    Result r = cli({});
    QVERIFY(r.exit_code != 0);
    Result bad = cli({"train", "--threads", "-3"});
    QVERIFY(bad.exit_code != 0);
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
