// Project files: named experiments (dataset, model, training, faults, protection, campaign) plus
// project-wide settings. Loading validates everything and reports every problem at once.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "campaign/campaign_setup.h"
#include "data/dataset.h"
#include "models/model_config.h"
#include "project/config_json.h"
#include "project/prune_json.h"
#include "protect/protection_spec.h"
#include "common/json_reader.h"
#include "train/train_config.h"

namespace faultscape {

struct Experiment {
  std::string name;
  DatasetConfig dataset;
  ModelConfig model;
  TrainConfig training;  // training.seed defaults to the project seed, as does dataset.seed
  std::string load;      // a trained model file to load instead of training; empty = train
  // Pruning of the trained or loaded network (hardening paper, section IV), on when "prune" is
  // present: evaluation, protection and the campaign then see the pruned, fine-tuned network.
  bool prunes = false;
  PruneConfig prune;
  // Parsed once, when the project is read (the faults and campaign layers' and the protection
  // list's readers): nothing downstream reads these objects again.
  CampaignSetup setup;                     // fault model, campaign, design-space grid, Pareto objectives
  std::vector<ProtectionSpec> protection;  // in the declared order
  // The same objects as written (null / [] when absent), so the document is saved back unchanged.
  nlohmann::json faults_json;
  nlohmann::json protection_json = nlohmann::json::array();
  nlohmann::json campaign_json;
  nlohmann::json raw;  // the experiment object as read
};

struct Project {
  std::string name = "default";
  std::string path;  // the file it was loaded from (or the source named when parsed)
  int threads = 0;   // 0 = all cores
  // Where training and campaigns compute: "auto" (CUDA when available, else the CPU), "cpu",
  // "cuda" or "cuda:N" (runtime/device.h).
  std::string device = "auto";
  bool deterministic = false;  // LibTorch's deterministic algorithms (slower on CUDA)
  uint64_t seed = 1;
  // Training seeds of a seed study (root key "seeds", `--seeds`): every experiment is trained and
  // measured once per seed, each its own stored run. JSON: a count N (the experiment's training
  // seed, then +1 ... +N-1) or a list of seeds. Empty: once, with the experiment's training seed.
  // Only training seeds vary: the dataset seed and the campaign's fault seed stay fixed, so every
  // model meets the same images and the same faults (paired comparison).
  std::vector<uint64_t> seed_list;     // from a list
  int64_t seed_count = 0;              // from a count; 0 when a list (or nothing) was given
  std::string output_dir = "results";  // relative to the current working directory
  bool presentation = false;           // figures with larger fonts and thicker lines (projectors)
  // A guided lesson (projects/lessons/): {"title", "text": [paragraphs], "image", "fault",
  // "protection", "stage"} shown in the workbench's explanation pane; all but the title and text
  // preset the Fault explorer (as `faultscape-cli explain` takes them). Null: none.
  nlohmann::json lesson;
  std::vector<Experiment> experiments;
  nlohmann::json raw;  // the document as read

  // Throws ConfigError naming the project and listing the experiments when there is none so named.
  const Experiment& experiment(const std::string& name) const;
  // <output_dir>/<name>.sqlite
  std::string database_path() const;
};

// The experiment once per training seed of the project's seed study: a copy with training.seed
// changed and, unless the experiment names one, its own model file
// <output_dir>/<project>/<experiment>.seed<N>.pt; "{seed}" in `load`, `training.checkpoint` and
// `prune.save` becomes the seed (an experiment measuring the model another one trained loads that seed's file).
// Without seeds: the experiment itself (with "{seed}" replaced).
std::vector<Experiment> seed_variants(const Project& project, const Experiment& experiment);

// Reads and validates a project file. Throws ConfigError for a missing or unreadable file,
// "<path>: invalid JSON at line L, column C: ..." for malformed JSON, and ValidationError
// "<path>: N problem(s)" listing every invalid value and unknown key. Comments are allowed.
Project load_project(const std::string& path);

// The project file as JSON (comments allowed), not yet validated; the same errors for unreadable
// files and malformed JSON as load_project.
nlohmann::json read_project_json(const std::string& path);

// Validates a parsed document; `source` names it in messages and becomes Project::path.
Project parse_project(const nlohmann::json& j, const std::string& source);

// One experiment object on its own (e.g. assembled from CLI options); seeds default to `seed`.
Experiment parse_experiment(const nlohmann::json& j, const std::string& source, uint64_t seed = 1);

// The complete document: parse_project(to_json(p), ...) reproduces p.
nlohmann::json to_json(const Project& project);
nlohmann::json to_json(const Experiment& experiment);

}  // namespace faultscape
