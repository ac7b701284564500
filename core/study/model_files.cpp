#include "study/model_files.h"

#include <filesystem>
#include <set>

#include "common/error.h"
#include "common/sha256.h"
#include "data/dataset.h"

namespace faultscape {
namespace {

// A string field of a row read back from the database, "" when absent or of another type (a
// damaged or foreign row must not stop a run with a JSON library's type error).
std::string text_field(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

}  // namespace

ReusableModel reusable_model(const ResultStore& store, const RunInfo& info, Observer* observer) {
  const std::string hash = ResultStore::hash_config(info.config);
  const std::vector<RunRow> runs = store.runs({info.experiment, info.kind, "complete"});
  std::set<std::string> checked;
  for (auto r = runs.rbegin(); r != runs.rend(); ++r) {  // newest first
    if (r->project != info.project || r->config_hash != hash || !r->summary.is_object()) continue;
    const std::string path = text_field(r->summary, "model_path");
    if (path.empty() || !checked.insert(path).second || !std::filesystem::exists(path)) continue;
    const std::string recorded = text_field(r->summary, "model_sha256");
    std::string actual;
    try {
      check_input_file(path, "model file");
      actual = sha256_file(path);
    } catch (const Error&) {
      continue;
    }
    if (!recorded.empty() && actual == recorded) return {path, actual, r->summary};
    // "training run 3 ... training again", "prune run 5 ... pruning again"
    const bool training = info.kind == "train";
    const std::string run = (training ? std::string("training") : info.kind) + " run " + std::to_string(r->id);
    if (observer)
      observer->on_log(recorded.empty() ? run + " recorded no model hash (older database): " + path + " is not reused"
                                        : path + " has changed since " + run + " saved it (SHA-256 " +
                                              actual.substr(0, 12) + " instead of " + recorded.substr(0, 12) +
                                              "): not reused, " + (training ? "training" : "pruning") + " again");
  }
  return {};
}

std::vector<ProtectedFile> protected_files(const Project& project, const Experiment& experiment) {
  const std::string db = project.database_path();
  std::vector<ProtectedFile> files = {{db, "the results database"},
                                      {db + "-wal", "the results database's journal"},
                                      {db + "-shm", "the results database's shared memory"},
                                      {db + ".lock", "the results database's lock"},
                                      {project.path, "the project file"},
                                      {experiment.load, "the model file loaded"},
                                      {experiment.model.file, "the TorchScript model"}};
  std::error_code ec;
  const std::string data = experiment.dataset.path.empty() && experiment.dataset.name != "synthetic"
                               ? default_dataset_path(experiment.dataset.name)
                               : experiment.dataset.path;
  if (!data.empty() && std::filesystem::is_directory(data, ec))
    for (const auto& entry : std::filesystem::directory_iterator(data, ec))
      files.push_back({entry.path().string(), "a dataset file"});
  return files;
}

}  // namespace faultscape
