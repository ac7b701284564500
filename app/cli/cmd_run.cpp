// run: every experiment of a project file (or one), recorded in the project's database.
#include <torch/torch.h>

#include <cstdio>

#include "study/experiment_runner.h"
#include "cli/cmd_plot.h"
#include "cli/commands.h"
#include "cli/terminal_observer.h"
#include "runtime/runtime.h"
#include "project/overrides.h"
#include "project/project.h"
#include "store/project_lock.h"
#include "store/result_store.h"
#include "cli/signals.h"

namespace faultscape::cli {

namespace {

void print_campaign(const nlohmann::json& c) {
  if (c.value("kind", "") == "stuck_sweep") {
    std::printf("  stuck sweep (%s): golden %.2f %%, %lld faults\n", c.value("granularity", "").c_str(),
                c.value("golden_accuracy", 0.0), c.value("faults", 0LL));
    std::printf("  %-10s %7s %8s %8s %8s %10s\n", "layer", "faults", "min", "max", "mean", "variance");
    for (const auto& l : c["layers"])
      std::printf("  %-10s %7lld %8.2f %8.2f %8.2f %10.4f\n", l.value("layer", "").c_str(), l.value("faults", 0LL),
                  l.value("min", 0.0), l.value("max", 0.0), l.value("mean", 0.0), l.value("variance", 0.0));
    std::printf("  worst drop %.2f points, mean drop %.2f points; %.0f faulty inferences/s\n",
                c.value("worst_drop", 0.0), c.value("mean_drop", 0.0), c.value("faulty_inferences_per_second", 0.0));
  } else if (c.value("kind", "") == "golden") {
    std::printf("  golden campaign: %.2f %%", c.value("accuracy", 0.0));
    if (c.contains("protection") && c["protection"].contains("overhead"))
      std::printf(" with the protection (hardware cost %.3f)", c["protection"]["overhead"].value("hardware_cost", 1.0));
    std::printf("\n");
  } else if (c.value("kind", "") == "protection_grid") {
    std::printf("  design space: %zu points, Pareto order (* = on the front); %s\n", c["points"].size(),
                c.value("csv", "").c_str());
    std::printf("  %-44s %9s %9s %9s %8s\n", "protection", "mean %", "min %", "golden %", "cost");
    for (const auto& p : c["points"])
      std::printf("  %-44s %9.2f %9.2f %9.2f %8.3f%s\n", p.value("label", "").substr(0, 44).c_str(),
                  p["accuracy"].value("mean", 0.0), p["accuracy"].value("min", 0.0), p.value("golden_accuracy", 0.0),
                  p["overhead"].value("hardware_cost", 0.0), p.value("pareto_front", false) ? " *" : "");
  } else if (c.value("kind", "") == "ber_sweep") {
    std::printf("  %s sweep on %s: golden %.2f %%\n", c.value("fault_kind", "").c_str(), c.value("target", "").c_str(),
                c.value("golden_accuracy", 0.0));
    std::printf("  %-10s %10s %7s %9s %8s %8s %9s\n", "layer", "rate", "trials", "accuracy", "+-ci95", "SDC %",
                "nonfinite");
    for (const auto& p : c["points"])
      std::printf("  %-10s %10.2e %7lld %9.2f %8.2f %8.2f %9lld\n", p.value("layer", "").c_str(), p.value("rate", 0.0),
                  p.value("trials", 0LL), p["accuracy"].value("mean", 0.0), p["accuracy"].value("ci95", 0.0),
                  p.value("sdc_rate", 0.0), p.value("nonfinite", 0LL));
  }
}

}  // namespace

nlohmann::json cmd_run(const GlobalOptions& g, bool output_dir_given, const std::string& project_file,
                       const std::string& only, bool retrain, const std::vector<std::string>& overrides,
                       const std::string& plot_dir) {
  nlohmann::json document = read_project_json(project_file);
  for (const auto& o : overrides) apply_override(document, o, only);
  Project project = parse_project(document, project_file);
  if (output_dir_given) project.output_dir = g.output_dir;
  if (g.threads > 0) project.threads = g.threads;
  set_threads(project.threads);
  warn_threads(project.threads);
  std::vector<Experiment> selected;
  if (!only.empty())
    selected.push_back(project.experiment(only));
  else
    selected = project.experiments;
  if (g.seed >= 0)
    for (auto& e : selected) e.training.seed = e.dataset.seed = static_cast<uint64_t>(g.seed);

  // One writing process per project: a second one refuses here, naming the first.
  ProjectLock lock(project.database_path());
  ResultStore store(project.database_path());
  TerminalObserver observer(g.quiet);
  if (lock.stale_owner().pid)
    observer.on_log("took over the lock of " + lock.stale_owner().describe() + ", which ended without releasing it");
  nlohmann::json results = nlohmann::json::array();
  std::vector<long long> plotted;  // this invocation's training and campaign runs
  for (const Experiment& e : selected) {
    observer.on_log("experiment " + e.name);
    RunControl control;
    control.observer = &observer;
    control.retrain = retrain;
    control.stop = &signal_stop_token();
    ExperimentOutcome out = run_experiment(project, e, store, control);
    nlohmann::json r = out.to_json();
    r["experiment"] = e.name;
    r["accuracy"] = out.evaluation.accuracy;
    results.push_back(r);
    if (out.train_run) plotted.push_back(out.train_run);
    if (out.campaign.is_object() && out.campaign.value("kind", "") == "protection_grid") {
      for (const auto& p : out.campaign["points"]) plotted.push_back(p.value("run", 0LL));  // the Pareto points
    } else if (out.campaign_run) {
      plotted.push_back(out.campaign_run);
    }
    if (!g.json) {
      std::printf("%-24s accuracy %.2f %%  model %s\n", e.name.c_str(), out.evaluation.accuracy,
                  out.model_path.c_str());
      if (out.campaign_run) print_campaign(out.campaign);
    }
  }
  if (!g.json) std::printf("results in %s\n", project.database_path().c_str());
  nlohmann::json summary = {{"command", "run"},
                            {"project", project.name},
                            {"database", project.database_path()},
                            {"threads", torch::get_num_threads()},
                            {"experiments", results}};
  if (!plot_dir.empty() && !plotted.empty()) {
    PlotOptions figures;
    figures.source = project.database_path();
    figures.runs = plotted;
    figures.out_dir = plot_dir;
    summary["plot"] = cmd_plot(g, figures);
  }
  return summary;
}

}  // namespace faultscape::cli
