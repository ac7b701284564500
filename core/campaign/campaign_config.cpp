#include "campaign/campaign_config.h"

#include <cmath>

#include "common/json_reader.h"

namespace faultscape {

std::vector<double> CampaignConfig::rates() const {
  if (!bers.empty()) return bers;
  std::vector<double> out;
  if (ber_points <= 0 || ber_from <= 0 || ber_to <= 0) return out;
  if (ber_points == 1) return {ber_from};
  const double a = std::log10(ber_from), b = std::log10(ber_to);
  for (int i = 0; i < ber_points; ++i) out.push_back(std::pow(10.0, a + (b - a) * i / (ber_points - 1)));
  return out;
}

void read_config(Reader& r, CampaignConfig& c) {
  r.get_choice("kind", c.kind, {"golden", "stuck_sweep", "ber_sweep"});
  if (const nlohmann::json* list = r.array("bers")) {
    c.bers.clear();
    for (const auto& v : *list) {
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1)
        r.problem("bers", "expected rates in [0, 1], got " + describe_value(v));
      else
        c.bers.push_back(v.get<double>());
    }
  }
  auto positive = [](double x) { return x > 0 && x <= 1; };
  r.get_number("ber_from", c.ber_from, positive, "a rate in (0, 1]");
  r.get_number("ber_to", c.ber_to, positive, "a rate in (0, 1]");
  r.get_int("ber_points", c.ber_points, 1, 1000);
  r.get_int("trials", c.trials, 1, 1000000);
  r.get_number(
      "target_ci", c.target_ci, [](double x) { return x >= 0; }, "a width >= 0 in accuracy points");
  r.get_int("max_trials", c.max_trials, 0, 1000000);
  r.get("per_layer", c.per_layer);
  r.get_seed("seed", c.seed);
  r.get_int("test_limit", c.test_limit, 0);
  r.get_int("batch_size", c.batch_size, 1);
  r.get_int("cache_mb", c.cache_mb, 0);
  r.get_int("fault_batch", c.fault_batch, 0, 4096);
  if (c.kind == "ber_sweep" && c.rates().empty())
    r.problem("bers", "a ber_sweep needs \"bers\" or \"ber_from\", \"ber_to\" and \"ber_points\"");
  r.report_unknown();
}

nlohmann::json to_json(const CampaignConfig& c) {
  return {{"kind", c.kind},
          {"bers", c.bers},
          {"ber_from", c.ber_from},
          {"ber_to", c.ber_to},
          {"ber_points", c.ber_points},
          {"trials", c.trials},
          {"target_ci", c.target_ci},
          {"max_trials", c.max_trials},
          {"per_layer", c.per_layer},
          {"seed", c.seed},
          {"test_limit", c.test_limit},
          {"batch_size", c.batch_size},
          {"cache_mb", c.cache_mb},
          {"fault_batch", c.fault_batch}};
}

}  // namespace faultscape
