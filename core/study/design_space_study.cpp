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
    const nlohmann::json& c = point_outcome.campaign;
    nlohmann::json point = {{"label", gp.label},
                            {"protection", gp.protection},
                            {"run", point_outcome.campaign_run},
                            {"golden_accuracy", c.value("golden_accuracy", 0.0)},
                            {"accuracy", campaign_accuracy(c)},
                            {"overhead", extra["protection"]["overhead"]}};
    if (c.contains("abft")) point["abft"] = c["abft"];
    points.push_back(point);
  }
  nlohmann::json objectives = nlohmann::json::array();
  for (const auto& o : setup.objectives) objectives.push_back({{"name", o.name}, {"maximize", o.maximize}});
  nlohmann::json sorted = pareto_sort(points, setup.objectives);
  nlohmann::json front = nlohmann::json::array();
  for (const auto& p : sorted)
    if (p["pareto_front"].get<bool>()) front.push_back(p["label"]);
  const std::filesystem::path dir = std::filesystem::path(project.output_dir) / project.name;
  std::filesystem::create_directories(dir);
  const std::string stem = (dir / (experiment.name + "_design_space")).string();
  std::ofstream(stem + ".csv") << pareto_csv(sorted);
  std::ofstream(stem + ".json") << nlohmann::json{{"objectives", objectives}, {"points", sorted}}.dump(2) << "\n";
  RunInfo info = run_info(project, experiment, "protection_grid");
  info.seed = setup.campaign.seed;
  outcome.campaign_run = store.begin_run(info);
  outcome.campaign = record_run(store, outcome.campaign_run, [&] {
    std::vector<TrialRow> rows;  // one row per design point, in Pareto order
    for (size_t i = 0; i < sorted.size(); ++i) {
      const nlohmann::json& p = sorted[i];
      rows.push_back({static_cast<int64_t>(i),
                      {{"label", p["label"]}, {"protection", p["protection"]}},
                      p["accuracy"].value("mean", 0.0),
                      p});
    }
    store.add_trials(outcome.campaign_run, rows);
    return nlohmann::json{
        {"kind", "protection_grid"}, {"objectives", objectives}, {"points", sorted},           {"front", front},
        {"csv", stem + ".csv"},      {"json", stem + ".json"},   {"run", outcome.campaign_run}};
  });
  if (control.observer) control.observer->on_result(RecordKind::Campaign, outcome.campaign);
}

}  // namespace faultscape
