// Reads an experiment's "faults" and "campaign" objects (validated with JSON paths).
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "campaign/campaign_config.h"
#include "faults/fault_model.h"
#include "common/pareto.h"
#include "protect/design_space.h"

namespace faultscape {

class Problems;

struct CampaignSetup {
  FaultModel fault;
  CampaignConfig campaign;
  bool has_faults = false;  // the experiment names a fault model
  // campaign.protection_grid: design-space points, each evaluated with the campaign on the same
  // faults; campaign.pareto: the objectives of its Pareto front ("NAME:max,NAME:min").
  std::vector<GridPoint> grid;
  std::vector<Objective> objectives;
};

// path: the experiment's JSON path ("experiments[2]"), prefixing every problem recorded.
CampaignSetup read_campaign_setup(const nlohmann::json& faults, const nlohmann::json& campaign, const std::string& path,
                                  Problems& problems);

}  // namespace faultscape
