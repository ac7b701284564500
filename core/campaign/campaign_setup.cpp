#include "campaign/campaign_setup.h"

#include "common/json_reader.h"

namespace faultscape {

CampaignSetup read_campaign_setup(const nlohmann::json& faults, const nlohmann::json& campaign, const std::string& path,
                                  Problems& problems) {
  CampaignSetup setup;
  const std::string prefix = path.empty() ? "" : path + ".";
  if (!faults.is_null()) {
    Reader r(faults, prefix + "faults", problems);
    if (r.is_object()) {
      read_config(r, setup.fault);
      setup.has_faults = true;
    } else {
      problems.add(prefix + "faults", "expected an object or null, got " + describe_value(faults));
    }
  }
  if (!campaign.is_null()) {
    // The design-space keys are read here; the rest is the campaign's own configuration.
    nlohmann::json rest = campaign;
    if (campaign.is_object() && campaign.contains("protection_grid")) {
      setup.grid = expand_protection_grid(campaign["protection_grid"], prefix + "campaign.protection_grid", problems);
      setup.objectives = parse_objectives("accuracy/mean:max,overhead/hardware_cost:min");
      rest.erase("protection_grid");
    }
    if (campaign.is_object() && campaign.contains("pareto")) {
      if (!campaign["pareto"].is_string()) {
        problems.add(prefix + "campaign.pareto",
                     "expected \"NAME:max,NAME:min,...\", got " + describe_value(campaign["pareto"]));
      } else if (setup.grid.empty()) {
        problems.add(prefix + "campaign.pareto", "needs a protection_grid");
      } else {
        try {
          setup.objectives = parse_objectives(campaign["pareto"].get<std::string>());
        } catch (const ConfigError& e) {
          problems.add(prefix + "campaign.pareto", e.what());
        }
      }
      rest.erase("pareto");
    }
    Reader r(rest, prefix + "campaign", problems);
    if (r.is_object())
      read_config(r, setup.campaign);
    else
      problems.add(prefix + "campaign", "expected an object or null, got " + describe_value(campaign));
  }
  if (!setup.grid.empty() && setup.campaign.kind == "golden")
    problems.add(prefix + "campaign.kind", "a protection_grid needs a fault campaign (ber_sweep or stuck_sweep)");
  if (setup.campaign.kind != "golden" && !setup.has_faults)
    problems.add(prefix + "faults", "campaign \"" + setup.campaign.kind + "\" needs a fault model");
  return setup;
}

}  // namespace faultscape
