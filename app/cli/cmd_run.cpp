// run: every experiment of a project file (or one), recorded in the project's database.
#include <torch/torch.h>

#include <cstdio>

#include "campaign/experiment_runner.h"
#include "cli/commands.h"
#include "cli/terminal_observer.h"
#include "common/runtime.h"
#include "project/project.h"
#include "store/result_store.h"

namespace faultscape::cli {

nlohmann::json cmd_run(const GlobalOptions& g, bool output_dir_given, const std::string& project_file,
                       const std::string& only) {
  Project project = load_project(project_file);
  if (output_dir_given) project.output_dir = g.output_dir;
  if (g.threads > 0) project.threads = g.threads;
  set_threads(project.threads);
  std::vector<Experiment> selected;
  if (!only.empty()) selected.push_back(project.experiment(only));
  else selected = project.experiments;
  if (g.seed >= 0)
    for (auto& e : selected) e.training.seed = e.dataset.seed = static_cast<uint64_t>(g.seed);

  ResultStore store(project.database_path());
  TerminalObserver observer(g.quiet);
  nlohmann::json results = nlohmann::json::array();
  for (const Experiment& e : selected) {
    observer.on_log("experiment " + e.name);
    ExperimentOutcome out = run_experiment(project, e, store, &observer);
    nlohmann::json r = out.to_json();
    r["experiment"] = e.name;
    r["accuracy"] = out.evaluation.accuracy;
    results.push_back(r);
    if (!g.json) std::printf("%-24s accuracy %.2f %%  model %s\n", e.name.c_str(), out.evaluation.accuracy,
                             out.model_path.c_str());
  }
  if (!g.json) std::printf("results in %s\n", project.database_path().c_str());
  return {{"command", "run"},
          {"project", project.name},
          {"database", project.database_path()},
          {"threads", torch::get_num_threads()},
          {"experiments", results}};
}

}  // namespace faultscape::cli
