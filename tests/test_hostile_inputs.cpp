// faultscape-cli against hostile and broken inputs (issue 16, "Hostile and broken inputs"): every
// case ends with one clean "error: ..." line naming the file, field or value, never a signal, a
// hang or a raw library message, and never destroys a results database.
#include <torch/torch.h>

#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "store/result_store.h"

#include "cli_support.h"

using namespace faultscape;
using namespace faultscape::test;
namespace fs = std::filesystem;
using nlohmann::json;

#define ASSERT_RUN_OK(call)                                                   \
  do {                                                                        \
    const CliResult ok_ = (call);                                             \
    QVERIFY2(ok_.exit_code == 0 && !ok_.crashed, qPrintable(ok_.describe())); \
  } while (false)

namespace {

json project(const std::string& output_dir, const json& patch = json::object()) {
  json e = {{"name", "exp"},
            {"dataset", {{"name", "synthetic"}, {"synthetic", {{"train", 64}, {"test", 32}}}}},
            {"model", {{"name", "mlp"}}},
            {"training", {{"epochs", 1}, {"batch_size", 32}}}};
  e.merge_patch(patch);
  return {{"name", "hostile"}, {"output_dir", output_dir}, {"threads", 1}, {"experiments", json::array({e})}};
}

std::string bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

class TestHostileInputs : public QObject {
  Q_OBJECT

  fs::path dir_;

  CliResult cli(const QStringList& args) { return run_cli(dir_, args); }

  // The project text written as-is, run quietly.
  CliResult run_text(const std::string& name, const std::string& text, const QStringList& extra = {}) {
    write_text(dir_ / name, text);
    return cli(QStringList{"run", QString::fromStdString(name), "-q"} + extra);
  }

 private slots:
  void initTestCase() {
    dir_ = fs::path(FAULTSCAPE_TEST_TMP) / "hostile";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  // The --json error path prints valid JSON even when the message holds bytes that are not UTF-8.
  void jsonErrorIsAlwaysValidJson() {
    CliResult r = run_text("utf8.json", "{\"name\": \"caf\xe9\xff\"}", {"--json"});
    QVERIFY(is_clean_error(r, {"utf8.json"}));
    QVERIFY(!r.out_lines().isEmpty());
    json j = json::parse(r.out_lines().back().toStdString(), nullptr, false);
    QVERIFY2(j.is_object() && j.value("ok", true) == false, qPrintable(r.out));
  }

  // Nesting deep enough to overflow a recursive reader, in a project, a --set value and a database
  // row: a clear error naming the limit.
  void deepNesting() {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    QVERIFY(is_clean_error(run_text("deep.json", "{\"name\": \"x\", \"experiments\": " + deep + "}"),
                           {"deep.json", "nested deeper than 256"}));
    write_text(dir_ / "plain.json", project("out_plain").dump(2));
    // One argument holds at most 128 KiB (Linux MAX_ARG_STRLEN): 50000 levels.
    const std::string deep_arg = "campaign=" + std::string(50000, '[') + std::string(50000, ']');
    QVERIFY(is_clean_error(cli({"run", "plain.json", "-q", "--set", QString::fromStdString(deep_arg)}),
                           {"--set", "nested deeper than 256"}));
    // A results database whose row holds a deeply nested config: export refuses that row cleanly.
    ASSERT_RUN_OK(cli({"run", "plain.json", "-q"}));
    const fs::path db = dir_ / "out_plain" / "hostile.sqlite";
    sqlite3* handle = nullptr;
    QCOMPARE(sqlite3_open(db.string().c_str(), &handle), SQLITE_OK);
    const std::string sql = "UPDATE runs SET config = '" + deep + "' WHERE id = 1";
    QCOMPARE(sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(handle);
    QVERIFY(is_clean_error(cli({"export", "out_plain/hostile.sqlite", "--out", "deep_export"}),
                           {"hostile.sqlite", "nested deeper than 256"}));
  }

  void duplicateKeysAndNumberOverflow() {
    QVERIFY(is_clean_error(run_text("dup.json", R"({"name": "a", "threads": 1, "name": "b"})"),
                           {"dup.json", "duplicate key \"name\""}));
    QVERIFY(is_clean_error(run_text("big.json", R"({"name": "a", "seed": 1e400})"), {"big.json", "1e400"}));
  }

  // Integers too large for their option or field: the field and value are named (no stoi text).
  void integerOverflow() {
    QVERIFY(is_clean_error(cli({"train", "--dataset", "synthetic", "--weight-bits", "99999999999", "-q"}),
                           {"weight_bits", "99999999999"}));
    QVERIFY(is_clean_error(cli({"train", "--dataset", "synthetic", "--act-bits", "4294967296", "-q"}),
                           {"act_bits", "4294967296"}));
    write_text(dir_ / "over.json", project("out_over").dump(2));
    QVERIFY(is_clean_error(cli({"run", "over.json", "-q", "--set", "experiments[99999999999999999999].name=x"}),
                           {"index [99999999999999999999]"}));
    QVERIFY(is_clean_error(cli({"run", "over.json", "-q", "--set",
                                R"(faults={"kind": "bitflip", "target": "weights", "format": "int99999999999"})"}),
                           {"format", "int99999999999"}));
    QVERIFY(is_clean_error(cli({"train", "--dataset", "synthetic", "--lr", "inf", "-q"}), {"lr", "inf"}));
  }

  void threadBounds() {
    json p = project("out_threads");
    p["threads"] = 2147483647;
    QVERIFY(is_clean_error(run_text("threads.json", p.dump()), {"threads", "2147483647"}));
    QVERIFY(is_clean_error(cli({"info", "--model", "mlp", "--threads", "100000"}), {"--threads", "100000"}));
  }

  // Files that are not regular files are refused before they are opened (a FIFO would block, a
  // device never end); a huge project file is refused by its size.
  void nonRegularFiles() {
    const fs::path fifo = dir_ / "fifo.json";
    QCOMPARE(mkfifo(fifo.string().c_str(), 0600), 0);
    QVERIFY(is_clean_error(cli({"run", "fifo.json", "-q"}), {"fifo.json", "not a regular file"}));
    QVERIFY(is_clean_error(cli({"eval", "fifo.json", "-q"}), {"fifo.json", "not a regular file"}));
    QVERIFY(is_clean_error(cli({"run", "/dev/zero", "-q"}), {"/dev/zero", "not a regular file"}));
    QVERIFY(is_clean_error(cli({"run", "/dev/urandom", "-q"}), {"/dev/urandom", "not a regular file"}));
    {
      std::ofstream big(dir_ / "big_project.json", std::ios::binary);
      big.seekp((17 << 20) - 1);
      big.put(' ');
    }
    QVERIFY(is_clean_error(cli({"run", "big_project.json", "-q"}), {"big_project.json", "limit"}));
  }

  void experimentNamesAreFileNames() {
    for (const char* name : {"../escape", "/abs", "..", "a\\b"}) {
      CliResult r = run_text("names.json", project("out_names", {{"name", name}}).dump());
      QVERIFY(is_clean_error(r, {"experiments[0].name", "file name"}));
    }
    QVERIFY(!fs::exists(dir_ / "escape.pt"));
  }

  // An output path that names the results database, the project file or an input is refused, and
  // the database keeps every run.
  void outputsNeverReplaceInputs() {
    write_text(dir_ / "safe.json", project("out_safe").dump(2));
    ASSERT_RUN_OK(cli({"run", "safe.json", "-q"}));
    const fs::path db = dir_ / "out_safe" / "hostile.sqlite";
    const size_t runs = ResultStore(db.string(), ResultStore::Access::read_only).runs().size();
    QVERIFY(runs >= 2);
    QVERIFY(is_clean_error(
        cli({"run", "safe.json", "-q", "--retrain", "--set", "training.checkpoint=out_safe/hostile.sqlite"}),
        {"training.checkpoint", "the results database"}));
    QVERIFY(is_clean_error(cli({"run", "safe.json", "-q", "--retrain", "--set", "training.checkpoint=safe.json"}),
                           {"training.checkpoint", "the project file"}));
    QVERIFY(is_clean_error(cli({"train", "--dataset", "synthetic", "--train-limit", "64", "--test-limit", "32", "-q",
                                "-o", "out_cli", "--save", "out_cli/cli.sqlite"}),
                           {"the results database"}));
    const std::string model = "out_safe/hostile/exp.pt";
    QVERIFY(fs::exists(dir_ / model));
    QVERIFY(is_clean_error(cli({"prune", QString::fromStdString(model), "--save", QString::fromStdString(model), "-q"}),
                           {"--save", "the model file being pruned"}));
    ResultStore store(db.string(), ResultStore::Access::read_only);
    QCOMPARE(store.runs().size(), runs);
    // `info MODEL.pt` as the README documents it.
    CliResult info = cli({"info", QString::fromStdString(model)});
    QVERIFY2(info.exit_code == 0, qPrintable(info.describe()));
  }

  // Training and test images of different shapes: one error naming both, not LibTorch's text.
  void splitShapesDiffer() {
    auto idx = [](uint32_t magic, const std::vector<uint32_t>& dims) {
      std::string bytes;
      auto put = [&bytes](uint32_t x) {
        for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(x >> shift));
      };
      put(magic);
      size_t n = 1;
      for (uint32_t d : dims) put(d), n *= d;
      bytes.append(n, '\0');
      return bytes;
    };
    const fs::path data = dir_ / "shapes";
    write_text(data / "train-images-idx3-ubyte", idx(0x803, {8, 28, 28}));
    write_text(data / "train-labels-idx1-ubyte", idx(0x801, {8}));
    write_text(data / "t10k-images-idx3-ubyte", idx(0x803, {4, 20, 20}));
    write_text(data / "t10k-labels-idx1-ubyte", idx(0x801, {4}));
    CliResult r =
        run_text("shapes.json",
                 project("out_shapes", {{"dataset", {{"name", "fashion-mnist"}, {"path", data.string()}}}}).dump());
    QVERIFY(is_clean_error(r, {"shapes", "28x28", "20x20"}));
  }

  // export and plot only read: a foreign SQLite file is refused and left byte for byte unchanged.
  void readersNeverWriteForeignFiles() {
    const fs::path foreign = dir_ / "foreign.sqlite";
    sqlite3* handle = nullptr;
    QCOMPARE(sqlite3_open(foreign.string().c_str(), &handle), SQLITE_OK);
    QCOMPARE(sqlite3_exec(handle, "CREATE TABLE notes(text TEXT); INSERT INTO notes VALUES('mine')", nullptr, nullptr,
                          nullptr),
             SQLITE_OK);
    sqlite3_close(handle);
    const std::string before = bytes_of(foreign);
    QVERIFY(is_clean_error(cli({"export", "foreign.sqlite", "--out", "foreign_out"}),
                           {"foreign.sqlite", "not a Faultscape results database"}));
#ifdef FAULTSCAPE_HAVE_FIGURES
    QVERIFY(is_clean_error(cli({"plot", "foreign.sqlite", "--out", "foreign_out"}),
                           {"foreign.sqlite", "not a Faultscape results database"}));
#endif
    QCOMPARE(bytes_of(foreign), before);
    QVERIFY(!fs::exists(foreign.string() + "-wal"));
  }
};

QTEST_GUILESS_MAIN(TestHostileInputs)
#include "test_hostile_inputs.moc"
