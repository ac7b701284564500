#include "campaign/campaign_setup.h"

#include "project/json_reader.h"

namespace faultscape {

CampaignSetup read_campaign_setup(const nlohmann::json& faults, const nlohmann::json& campaign,
                                  const std::string& path, Problems& problems) {
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
    Reader r(campaign, prefix + "campaign", problems);
    if (r.is_object()) read_config(r, setup.campaign);
    else problems.add(prefix + "campaign", "expected an object or null, got " + describe_value(campaign));
  }
  if (setup.campaign.kind != "golden" && !setup.has_faults)
    problems.add(prefix + "faults", "campaign \"" + setup.campaign.kind + "\" needs a fault model");
  return setup;
}

CampaignSetup parse_campaign_setup(const nlohmann::json& faults, const nlohmann::json& campaign,
                                   const std::string& source) {
  Problems problems;
  CampaignSetup setup = read_campaign_setup(faults, campaign, "", problems);
  problems.throw_if_any(source);
  return setup;
}

}  // namespace faultscape
