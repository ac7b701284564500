// A design-space study: every point of the campaign's protection grid protected and evaluated
// with the same faults, then Pareto-sorted.
#pragma once
#include <vector>

#include "campaign/campaign_setup.h"
#include "common/pareto.h"
#include "data/dataset.h"
#include "models/network.h"
#include "project/project.h"
#include "protect/protection_spec.h"
#include "store/result_store.h"
#include "study/experiment_outcome.h"

namespace faultscape {

// One design point's entry from its campaign's summary (and the protection overhead in it).
nlohmann::json design_point(const nlohmann::json& campaign, int64_t run);

// The points Pareto-sorted into a "protection_grid" run's rows (one per point) and summary; with
// `write`, also <stem>.csv and <stem>.json. Shared by the study and the merge of shard databases.
nlohmann::json design_space_summary(const nlohmann::json& points, const std::vector<Objective>& objectives,
                                    const std::string& stem, bool write, std::vector<TrialRow>& rows);

void run_design_space(const Project& project, const Experiment& experiment, const CampaignSetup& setup,
                      const std::vector<ProtectionSpec>& base, Network& net, const DatasetSplit& data,
                      ResultStore& store, ExperimentOutcome& outcome, const RunControl& control);

}  // namespace faultscape
