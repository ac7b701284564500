// A design-space study: every point of the campaign's protection grid protected and evaluated
// with the same faults, then Pareto-sorted.
#pragma once
#include <vector>

#include "campaign/campaign_setup.h"
#include "data/dataset.h"
#include "models/network.h"
#include "project/project.h"
#include "protect/protection_spec.h"
#include "store/result_store.h"
#include "study/experiment_outcome.h"

namespace faultscape {

void run_design_space(const Project& project, const Experiment& experiment, const CampaignSetup& setup,
                      const std::vector<ProtectionSpec>& base, Network& net, const DatasetSplit& data,
                      ResultStore& store, ExperimentOutcome& outcome, const RunControl& control);

}  // namespace faultscape
