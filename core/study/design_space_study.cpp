#include "study/design_space_study.h"

#include <filesystem>
#include <fstream>

#include "common/pareto.h"
#include "study/campaign_runner.h"
#include "study/protector.h"
#include "study/run_info.h"

namespace faultscape {

// Every grid point is protected, then evaluated by the campaign with the same seed (paired faults)
// as its own run; a "protection_grid" run then holds all points, Pareto-sorted, and the points
// and front are written as CSV and JSON next to the model files.
void run_design_space(const Project& project, const Experiment& experiment, const CampaignSetup& setup,
                      const std::vector<ProtectionSpec>& base, Network& net, const DatasetSplit& data,
                      ResultStore& store, ExperimentOutcome& outcome, const RunControl& control) {
  nlohmann::json points = nlohmann::json::array();
  for (size_t k = 0; k < setup.grid.size(); ++k) {
    const GridPoint& gp = setup.grid[k];
    if (control.observer)
      control.observer->on_log("design point " + std::to_string(k + 1) + "/" + std::to_string(setup.grid.size()) +
                               ": " + gp.label);
    std::vector<ProtectionSpec> specs = base;
    specs.insert(specs.end(), gp.schemes.begin(), gp.schemes.end());
    nlohmann::json extra;
    Network target = protect_network(net, specs, data, extra, control.observer);
    extra["grid_point"] = {{"label", gp.label}, {"protection", gp.protection}};
    ExperimentOutcome point_outcome;
    point_outcome.model_path = outcome.model_path;
    point_outcome.model_sha256 = outcome.model_sha256;
    run_campaign(project, experiment, setup, target, data.test, store, point_outcome, control, extra);
    nlohmann::json point = design_point(point_outcome.campaign, point_outcome.campaign_run);
    points.push_back(point);
  }
  const std::filesystem::path dir = std::filesystem::path(project.output_dir) / project.name;
  const std::string stem = (dir / (experiment.name + "_design_space")).string();
  std::vector<TrialRow> rows;
  const nlohmann::json summary = design_space_summary(points, setup.objectives, stem, control.records(), rows);
  RunInfo info = run_info(project, experiment, "protection_grid");
  info.seed = setup.campaign.seed;
  outcome.campaign_run = store.begin_run(info);
  outcome.campaign = record_run(store, outcome.campaign_run, [&] {
    store.add_trials(outcome.campaign_run, rows);
    nlohmann::json s = summary;
    s["run"] = outcome.campaign_run;
    return s;
  });
  if (control.observer) control.observer->on_result(RecordKind::Campaign, outcome.campaign);
}

nlohmann::json design_point(const nlohmann::json& c, int64_t run) {
  nlohmann::json point = {{"label", c["grid_point"].value("label", "")},
                          {"protection", c["grid_point"]["protection"]},
                          {"run", run},
                          {"golden_accuracy", c.value("golden_accuracy", 0.0)},
                          {"accuracy", campaign_accuracy(c)},
                          {"overhead", c["protection"]["overhead"]}};
  if (c.contains("abft")) point["abft"] = c["abft"];
  return point;
}

nlohmann::json design_space_summary(const nlohmann::json& points, const std::vector<Objective>& objectives,
                                    const std::string& stem, bool write, std::vector<TrialRow>& rows) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& o : objectives) names.push_back({{"name", o.name}, {"maximize", o.maximize}});
  nlohmann::json sorted = pareto_sort(points, objectives);
  nlohmann::json front = nlohmann::json::array();
  for (const auto& p : sorted)
    if (p["pareto_front"].get<bool>()) front.push_back(p["label"]);
  if (write) {
    std::filesystem::create_directories(std::filesystem::path(stem).parent_path());
    std::ofstream(stem + ".csv") << pareto_csv(sorted);
    std::ofstream(stem + ".json") << nlohmann::json{{"objectives", names}, {"points", sorted}}.dump(2) << "\n";
  }
  rows.clear();  // one row per design point, in Pareto order
  for (size_t i = 0; i < sorted.size(); ++i) {
    const nlohmann::json& p = sorted[i];
    rows.push_back({static_cast<int64_t>(i),
                    {{"label", p["label"]}, {"protection", p["protection"]}},
                    p["accuracy"].value("mean", 0.0),
                    p});
  }
  return {{"kind", "protection_grid"}, {"objectives", names},   {"points", sorted}, {"front", front},
          {"csv", stem + ".csv"},      {"json", stem + ".json"}};
}

}  // namespace faultscape
