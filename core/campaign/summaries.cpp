#include "campaign/summaries.h"

#include <algorithm>
#include <map>

#include "campaign/statistics.h"

namespace faultscape {

nlohmann::json ber_point_summary(const std::vector<TrialRow>& rows, double golden) {
  std::vector<double> acc, sdc, critical;
  int64_t nonfinite = 0, fault_count = 0;
  for (const TrialRow& row : rows) {
    acc.push_back(row.accuracy);
    sdc.push_back(row.metrics.value("sdc_rate", 0.0));
    critical.push_back(row.metrics.value("critical_sdc_rate", 0.0));
    nonfinite += row.metrics.value("nonfinite", int64_t{0});
    fault_count += std::max<int64_t>(0, row.metrics.value("faults", int64_t{0}));
  }
  const SampleStats a = sample_stats(acc);
  const nlohmann::json& first = rows.empty() ? nlohmann::json::object() : rows.front().params;
  return {{"layer", first.value("layer", "all")},
          {"rate", first.value("rate", 0.0)},
          {"trials", a.n},
          {"accuracy", a.to_json()},
          {"drop", golden - a.mean},
          {"sdc_rate", sample_stats(sdc).mean},
          {"critical_sdc_rate", sample_stats(critical).mean},
          {"nonfinite", nonfinite},
          {"mean_faults", a.n ? static_cast<double>(fault_count) / a.n : 0}};
}

nlohmann::json ber_points(const std::vector<TrialRow>& rows, double golden) {
  std::map<int64_t, std::vector<TrialRow>> by_point;
  for (const TrialRow& row : rows) by_point[ber_point_of(row.trial)].push_back(row);
  nlohmann::json points = nlohmann::json::array();
  for (auto& [point, list] : by_point) {
    std::sort(list.begin(), list.end(), [](const TrialRow& a, const TrialRow& b) { return a.trial < b.trial; });
    points.push_back(ber_point_summary(list, golden));
  }
  return points;
}

nlohmann::json stuck_layers(const std::vector<TrialRow>& rows, double golden) {
  std::map<int, std::vector<const TrialRow*>> by_stage;
  for (const auto& r : rows) by_stage[r.params.contains("stage") ? r.params["stage"].get<int>() : -1].push_back(&r);
  nlohmann::json layers = nlohmann::json::array();
  std::vector<double> all;
  for (const auto& [stage, list] : by_stage) {
    std::vector<double> acc;
    const TrialRow* worst = list.front();
    for (const TrialRow* r : list) {
      acc.push_back(r->accuracy);
      if (r->accuracy < worst->accuracy) worst = r;
    }
    all.insert(all.end(), acc.begin(), acc.end());
    SampleStats s = sample_stats(acc);
    layers.push_back({{"layer", worst->params.value("layer", "all")},
                      {"stage", stage},
                      {"faults", s.n},
                      {"min", s.min},
                      {"max", s.max},
                      {"mean", s.mean},
                      {"variance", s.variance},
                      {"worst", worst->params},
                      {"worst_drop", golden - s.min},
                      {"mean_drop", golden - s.mean}});
  }
  SampleStats s = sample_stats(all);
  return {{"layers", layers},
          {"min", s.min},
          {"max", s.max},
          {"mean", s.mean},
          {"variance", s.variance},
          {"worst_drop", golden - s.min},
          {"mean_drop", golden - s.mean}};
}

}  // namespace faultscape
