// run: every experiment of a project file (or one), recorded in the project's database.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "cluster/shards.h"
#include "common/error.h"
#include "study/experiment_runner.h"
#include "study/seed_summary.h"
#include "cli/cmd_plot.h"
#include "cli/commands.h"
#include "cli/terminal_observer.h"
#include "runtime/device.h"
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

// The seed-level table: mean, standard deviation and 95 % CI over the training seeds.
void print_seed_summary(const SeedSummary& seeds) {
  std::printf("over training seeds (mean +- 95 %% CI, Student t with n-1 degrees of freedom):\n");
  std::printf("  %-22s %-22s %-24s %9s %3s %9s %8s %8s\n", "experiment", "metric", "where", "rate", "n", "mean", "std",
              "+-ci95");
  for (const SeedMetric& m : seeds.metrics()) {
    const SampleStats s = m.stats();
    std::printf("  %-22s %-22s %-24s %9.2e %3lld %9.3f %8.3f %8.3f\n", m.experiment.substr(0, 22).c_str(),
                m.metric.c_str(), m.where.substr(0, 24).c_str(), m.rate, static_cast<long long>(s.n), s.mean, s.std,
                s.ci95);
  }
}

}  // namespace

nlohmann::json cmd_run(const GlobalOptions& g, bool output_dir_given, const RunOptions& o) {
  if (!o.plot_dir.empty() && !figures_available())
    throw ConfigError("--plot: this faultscape-cli was built headless (FAULTSCAPE_GUI=OFF) and draws no figures");
  nlohmann::json document = read_project_json(o.project_file);
  for (const auto& text : o.overrides) apply_override(document, text, o.experiment);
  Project project = parse_project(document, o.project_file);
  if (output_dir_given) project.output_dir = g.output_dir;
  if (g.threads > 0) project.threads = g.threads;
  if (!g.device.empty()) project.device = g.device;
  if (g.deterministic) project.deterministic = true;
  resolve_device(project.device);  // a GPU this machine lacks is refused before anything is written
  set_threads(project.threads);
  warn_threads(project.threads);
  std::vector<Experiment> selected;
  if (!o.experiment.empty())
    selected.push_back(project.experiment(o.experiment));
  else
    selected = project.experiments;
  if (g.seed >= 0)
    for (auto& e : selected) e.training.seed = e.dataset.seed = static_cast<uint64_t>(g.seed);

  // Where trials are evaluated and which database this process writes.
  std::string database = project.database_path();
  std::unique_ptr<ShardExecutor> shard;
  std::unique_ptr<ResultStore> models;  // a shard reuses the models trained into the project's database
  if (!o.shard.empty()) {
    if (o.ranks) throw ConfigError("--shard: a shard runs as one process, not under mpirun");
    if (o.train_only) throw ConfigError("--shard and --train-only: train first, then run the shards");
    for (const Experiment& e : selected)
      if (e.setup.campaign.target_ci > 0)
        throw ConfigError("experiment \"" + e.name +
                          "\": campaign.target_ci: an adaptive sweep decides each point's trial count from all of "
                          "its results, so it cannot be split into shards; run it in one process or under mpirun");
    const ShardId id = parse_shard(o.shard);
    shard = std::make_unique<ShardExecutor>(id.index, id.count);
    if (std::filesystem::exists(database))
      models = std::make_unique<ResultStore>(database, ResultStore::Access::read_only);
    database = shard_database_path(database, id);
  }
  TrialExecutor* executor = shard ? shard.get() : o.ranks;
  const bool writer = !executor || executor->records();
  // One writing process per database: a second one refuses here, naming the first. MPI ranks other
  // than 0 write nothing: their runs go to a private in-memory database.
  std::optional<ProjectLock> lock;
  if (writer) lock.emplace(database);
  ResultStore store(writer ? database : ":memory:");
  TerminalObserver observer(g.quiet);
  if (lock && lock->stale_owner().pid)
    observer.on_log("took over the lock of " + lock->stale_owner().describe() + ", which ended without releasing it");
  if (executor) observer.on_log("campaigns run as " + executor->describe() + ", results in " + database);
  nlohmann::json results = nlohmann::json::array();
  std::vector<long long> plotted;  // this invocation's training and campaign runs
  // A seed study runs every experiment once per training seed (project.h: seed_variants).
  const bool seed_study = project.seed_count > 0 || !project.seed_list.empty();
  std::vector<Experiment> runs;
  for (const Experiment& e : selected)
    for (Experiment& v : seed_variants(project, e)) runs.push_back(std::move(v));
  SeedSummary seeds;
  for (const Experiment& e : runs) {
    observer.on_log("experiment " + e.name +
                    (seed_study ? " (training seed " + std::to_string(e.training.seed) + ")" : std::string()));
    RunControl control;
    control.reuse_finished = seed_study;
    control.observer = &observer;
    control.retrain = o.retrain;
    control.stop = &signal_stop_token();
    control.executor = executor;
    control.model_source = models.get();
    control.train_only = o.train_only;
    ExperimentOutcome out = run_experiment(project, e, store, control);
    nlohmann::json r = out.to_json();
    r["experiment"] = e.name;
    r["accuracy"] = out.evaluation.accuracy;
    r["seed"] = e.training.seed;
    if (seed_study && !o.train_only) seeds.add(e.name, e.training.seed, r);
    results.push_back(r);
    if (out.train_run) plotted.push_back(out.train_run);
    if (out.campaign.is_object() && out.campaign.value("kind", "") == "protection_grid") {
      for (const auto& p : out.campaign["points"]) plotted.push_back(p.value("run", 0LL));  // the Pareto points
    } else if (out.campaign_run) {
      plotted.push_back(out.campaign_run);
    }
    if (!g.json && o.train_only) {
      std::printf("%-24s model %s\n", e.name.c_str(), out.model_path.c_str());
    } else if (!g.json) {
      std::printf("%-24s accuracy %.2f %%  model %s\n", e.name.c_str(), out.evaluation.accuracy,
                  out.model_path.c_str());
      if (out.campaign_run) print_campaign(out.campaign);
    }
  }
  if (!g.json) std::printf("results in %s\n", database.c_str());
  nlohmann::json summary = {{"command", "run"},
                            {"project", project.name},
                            {"database", database},
                            {"threads", torch::get_num_threads()},
                            {"experiments", results}};
  std::string seeds_stem;  // <output_dir>/<project>[.<experiment>].seeds: .json and .csv
  if (!seeds.empty() && writer) {
    seeds_stem = (std::filesystem::path(project.output_dir) /
                  (project.name + (o.experiment.empty() ? "" : "." + o.experiment) + ".seeds"))
                     .string();
    nlohmann::json table = seeds.to_json();
    std::ofstream(seeds_stem + ".json") << table.dump(2) << "\n";
    seeds.write_csv(seeds_stem + ".csv");
    table["json"] = seeds_stem + ".json";
    table["csv"] = seeds_stem + ".csv";
    summary["seeds"] = table;
    if (!g.json) {
      print_seed_summary(seeds);
      std::printf("seed summary in %s.csv\n", seeds_stem.c_str());
    }
  }
  if (executor) {
    summary["executor"] = executor->describe();
    if (!executor->stats().is_null()) summary["distribution"] = executor->stats();
  }
  if (!o.plot_dir.empty() && !plotted.empty() && writer) {
    PlotOptions figures;
    figures.source = database;
    figures.runs = plotted;
    figures.out_dir = o.plot_dir;
    summary["plot"] = cmd_plot(g, figures);
  }
  if (!o.plot_dir.empty() && !seeds_stem.empty()) {
    PlotOptions figures;
    figures.out_dir = o.plot_dir;
    figures.presentation = project.presentation;
    summary["seed_plot"] = plot_seed_summary(g, summary["seeds"], figures);
  }
  return summary;
}

}  // namespace faultscape::cli
