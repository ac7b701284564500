// One fault campaign of an experiment on a (possibly protected) network, as a run of its own:
// resumed when an interrupted run of exactly this configuration exists.
#pragma once
#include <nlohmann/json.hpp>

#include "campaign/campaign_setup.h"
#include "data/dataset.h"
#include "models/network.h"
#include "project/project.h"
#include "store/result_store.h"
#include "study/experiment_outcome.h"

namespace faultscape {

// extra: merged into the summary (protection details, the design point).
void run_campaign(const Project& project, const Experiment& experiment, const CampaignSetup& setup, Network& net,
                  const Dataset& test, ResultStore& store, ExperimentOutcome& outcome, const RunControl& control,
                  const nlohmann::json& extra = nlohmann::json::object());

// Accuracy statistics of a campaign summary: one rate's statistics, or over the rates (ber
// sweep); golden minus the mean and worst drops (stuck sweep).
nlohmann::json campaign_accuracy(const nlohmann::json& c);

}  // namespace faultscape
