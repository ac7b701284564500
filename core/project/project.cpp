#include "project/project.h"

#include "campaign/campaign_setup.h"
#include "common/file_checks.h"
#include "common/json_parse.h"
#include "protect/protection_spec.h"
#include "runtime/device.h"
#include "runtime/runtime.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace faultscape {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Far above any real project (the largest shipped one is a few kB), far below a memory problem.
constexpr uint64_t kMaxProjectBytes = 16 << 20;

// Project and experiment names become file names in output_dir: no separators, no "." / "..",
// no control characters (a NUL would cut the path short).
bool usable_as_file_name(const std::string& name) {
  if (name == "." || name == ".." || name.find_first_of("/\\") != std::string::npos) return false;
  return std::none_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

void read_project_name(Reader& r, std::string& name) {
  r.get("name", name);
  if (name.empty())
    r.problem("name", "must not be empty");
  else if (!usable_as_file_name(name))
    r.problem("name", "must be usable as a file name, got " + describe_value(name));
}

void read_experiment_name(Reader& r, std::string& name) {
  if (!r.is_object()) return;
  if (!r.has("name")) {
    r.problem("name", "missing; every experiment needs a unique name");
    return;
  }
  r.get("name", name);
  if (name.empty() && r.value().at("name").is_string())
    r.problem("name", "must not be empty");
  else if (!name.empty() && !usable_as_file_name(name))
    r.problem("name",
              "must be usable as a file name (no / \\ . .. or control characters), got " + describe_value(name));
}

Experiment read_experiment(Reader& r, uint64_t seed, Problems& problems) {
  Experiment e;
  e.raw = r.value();
  e.training.seed = seed;
  e.dataset.seed = seed;
  read_experiment_name(r, e.name);
  Reader dataset = r.object("dataset");
  read_config(dataset, e.dataset);
  Reader model = r.object("model");
  read_config(model, e.model);
  Reader training = r.object("training");
  read_config(training, e.training);
  if (e.model.name == "torchscript" && !r.has("training")) e.training.epochs = 0;  // imported: used as it is
  r.get("load", e.load);
  if (r.has("prune")) {
    e.prunes = true;
    Reader prune = r.object("prune");
    read_config(prune, e.prune);
  }
  r.get_raw("faults", e.faults_json);
  r.get_raw("protection", e.protection_json);
  r.get_raw("campaign", e.campaign_json);
  // Parsed now, once: a bad fault model or scheme is reported before any experiment runs.
  e.setup = read_campaign_setup(e.faults_json, e.campaign_json, r.path(), problems);
  e.protection = read_protection(e.protection_json, r.path(), problems);
  r.report_unknown();
  return e;
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw ConfigError(path + ": project file not found");
  if (fs::is_directory(path, ec)) throw ConfigError(path + ": is a directory, not a project file");
  try {
    check_input_file(path, "project file", kMaxProjectBytes);  // a FIFO or /dev/zero never ends
  } catch (const Error& e) {
    throw ConfigError(e.what());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read project file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

const Experiment& Project::experiment(const std::string& wanted) const {
  std::string names;
  for (const auto& e : experiments) {
    if (e.name == wanted) return e;
    names += (names.empty() ? "" : ", ") + e.name;
  }
  throw ConfigError(path + ": no experiment named \"" + wanted +
                    "\" (experiments: " + (names.empty() ? "none" : names) + ")");
}

std::string Project::database_path() const { return (fs::path(output_dir) / (name + ".sqlite")).string(); }

// Far above any seed study that finishes (each seed trains a model), far below a memory problem.
constexpr int64_t kMaxSeeds = 1000;

// "seeds": a count N >= 1 or a non-empty list of distinct seeds.
static void read_seeds(Reader& r, Project& p) {
  if (!r.has("seeds")) return;
  const json& v = r.value().at("seeds");
  if (v.is_number_integer() || v.is_number_unsigned()) {
    r.get_int("seeds", p.seed_count, 1, kMaxSeeds);
    return;
  }
  if (!v.is_array()) {
    r.problem("seeds",
              "expected a count (1 to " + std::to_string(kMaxSeeds) + ") or a list of seeds, got " + describe_value(v));
    return;
  }
  if (v.empty() || v.size() > static_cast<size_t>(kMaxSeeds))
    r.problem("seeds", "a list of 1 to " + std::to_string(kMaxSeeds) + " seeds, got " + std::to_string(v.size()));
  for (size_t i = 0; i < v.size() && i < static_cast<size_t>(kMaxSeeds); ++i) {
    if (!v[i].is_number_unsigned() && !(v[i].is_number_integer() && v[i].get<int64_t>() >= 0)) {
      r.problem("seeds",
                "entry " + std::to_string(i) + " is not a seed (a non-negative integer): " + describe_value(v[i]));
      continue;
    }
    const uint64_t s = v[i].get<uint64_t>();
    if (std::find(p.seed_list.begin(), p.seed_list.end(), s) != p.seed_list.end())
      r.problem("seeds", "seed " + std::to_string(s) + " is listed twice");
    else
      p.seed_list.push_back(s);
  }
}

// "{seed}" in a model path becomes the training seed.
static std::string with_seed(std::string path, uint64_t seed) {
  const std::string token = "{seed}";
  for (size_t at = path.find(token); at != std::string::npos; at = path.find(token, at))
    path.replace(at, token.size(), std::to_string(seed));
  return path;
}

std::vector<Experiment> seed_variants(const Project& project, const Experiment& experiment) {
  std::vector<uint64_t> seeds = project.seed_list;
  for (int64_t k = 0; k < project.seed_count; ++k) seeds.push_back(experiment.training.seed + static_cast<uint64_t>(k));
  const bool study = !seeds.empty();
  if (!study) seeds.push_back(experiment.training.seed);
  std::vector<Experiment> out;
  for (uint64_t s : seeds) {
    Experiment e = experiment;
    e.training.seed = s;
    e.load = with_seed(e.load, s);
    e.training.checkpoint = with_seed(e.training.checkpoint, s);
    e.prune.save = with_seed(e.prune.save, s);
    // Each seed's model in its own file (the default path with the seed), so a later seed does not
    // overwrite the file an earlier seed's runs were measured on.
    if (study && e.training.checkpoint.empty() && e.load.empty())
      e.training.checkpoint =
          (fs::path(project.output_dir) / project.name / (e.name + ".seed" + std::to_string(s) + ".pt")).string();
    out.push_back(std::move(e));
  }
  return out;
}

// The lesson's shape only; its fault, protection and stage are checked against the model when the
// explorer opens it.
static void read_lesson(Reader& r, json& out) {
  if (!r.has("lesson")) return;
  Reader l = r.object("lesson");
  if (!l.is_object()) return;
  std::string title;
  l.get("title", title);
  if (title.empty()) l.problem("title", "missing: the lesson's title");
  const json* text = l.array("text");
  if (!text) l.problem("text", "missing: the explanation, an array of paragraphs");
  for (size_t i = 0; text && i < text->size(); ++i)
    if (!(*text)[i].is_string()) l.problem("text", "paragraph " + std::to_string(i) + " is not a string");
  int64_t image = 0;
  l.get_int("image", image, 0);
  json fault;
  l.get_raw("fault", fault);
  if (!fault.is_null() && !fault.is_object()) l.problem("fault", "expected an object (a fault of the Fault explorer)");
  json protection;
  l.get_raw("protection", protection);
  if (!protection.is_null() && !protection.is_array()) l.problem("protection", "expected an array of schemes");
  std::string stage;
  l.get("stage", stage);
  l.report_unknown();
  out = l.value();
}

Project parse_project(const json& j, const std::string& source) {
  Problems problems;
  Project p;
  p.path = source;
  p.raw = j;
  Reader r(j, "", problems);
  if (r.is_object()) read_project_name(r, p.name);
  r.get_int("threads", p.threads, 0, kMaxThreads);
  r.get("device", p.device);
  if (!valid_device_setting(p.device))
    r.problem("device", "expected \"auto\", \"cpu\", \"cuda\" or \"cuda:N\", got \"" + p.device + "\"");
  r.get("deterministic", p.deterministic);
  r.get_seed("seed", p.seed);
  read_seeds(r, p);
  r.get("output_dir", p.output_dir);
  r.get("presentation", p.presentation);
  read_lesson(r, p.lesson);
  if (const json* list = r.array("experiments")) {
    std::map<std::string, std::string> first_path;  // experiment name -> where it was first seen
    for (size_t i = 0; i < list->size(); ++i) {
      Reader e(list->at(i), r.path_of("experiments") + "[" + std::to_string(i) + "]", problems);
      p.experiments.push_back(read_experiment(e, p.seed, problems));
      const std::string& name = p.experiments.back().name;
      if (name.empty()) continue;
      auto [it, fresh] = first_path.emplace(name, e.path_of("name"));
      if (!fresh) e.problem("name", "duplicate experiment name \"" + name + "\" (also " + it->second + ")");
    }
  }
  r.report_unknown();
  problems.throw_if_any(source);
  return p;
}

Experiment parse_experiment(const json& j, const std::string& source, uint64_t seed) {
  Problems problems;
  Reader r(j, "", problems);
  Experiment e = read_experiment(r, seed, problems);
  problems.throw_if_any(source);
  return e;
}

Project load_project(const std::string& path) { return parse_project(read_project_json(path), path); }

json read_project_json(const std::string& path) {
  const std::string text = read_file(path);
  try {
    return parse_json(text, /*ignore_comments=*/true);
  } catch (const JsonError& e) {
    throw ConfigError(path + ": invalid JSON" + (e.byte ? " at " + json_position(text, e.byte) : "") + ": " + e.what());
  }
}

json to_json(const Experiment& e) {
  json j = {{"name", e.name},
            {"dataset", to_json(e.dataset)},
            {"model", to_json(e.model)},
            {"training", to_json(e.training)},
            {"load", e.load},
            {"faults", e.faults_json},
            {"protection", e.protection_json},
            {"campaign", e.campaign_json}};
  if (e.prunes) j["prune"] = to_json(e.prune);  // only when on: other experiments keep their config hash
  return j;
}

json to_json(const Project& p) {
  json experiments = json::array();
  for (const auto& e : p.experiments) experiments.push_back(to_json(e));
  json out = {
      {"name", p.name}, {"threads", p.threads},       {"device", p.device},        {"deterministic", p.deterministic},
      {"seed", p.seed}, {"output_dir", p.output_dir}, {"experiments", experiments}};
  if (p.seed_count > 0) out["seeds"] = p.seed_count;  // only when set, like presentation
  if (!p.seed_list.empty()) out["seeds"] = p.seed_list;
  if (p.presentation) out["presentation"] = true;  // written only when set, so older documents round-trip unchanged
  if (!p.lesson.is_null()) out["lesson"] = p.lesson;
  return out;
}

}  // namespace faultscape
