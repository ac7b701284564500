// Non-dominated sorting (Deb et al., NSGA-II) over any number of objectives, each minimised or
// maximised. A point dominates another when it is no worse in every objective and strictly better
// in at least one; equal points do not dominate each other, so ties share a front.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace faultscape {

struct Objective {
  std::string name;  // the key of the value in each point's JSON
  bool maximize = false;
};

// Whether a dominates b.
bool dominates(const std::vector<double>& a, const std::vector<double>& b, const std::vector<Objective>& objectives);

// Front index of every point: 0 = non-dominated (the Pareto front), 1 = non-dominated once
// front 0 is removed, ... Throws ConfigError on a NaN value or a point of the wrong length.
std::vector<int> nondominated_ranks(const std::vector<std::vector<double>>& values,
                                    const std::vector<Objective>& objectives);

// Points as JSON objects holding the objective keys (nested keys with '/', e.g. "overhead/hardware_cost").
// Returns the points with "pareto_rank" and "pareto_front" (bool) added, front first.
nlohmann::json pareto_sort(const nlohmann::json& points, const std::vector<Objective>& objectives);

// Flat CSV of sorted points: the scalar fields (nested objects flattened with '/'), one row each.
std::string pareto_csv(const nlohmann::json& sorted_points);

// "accuracy:max,overhead/hardware_cost:min" -> objectives; throws ConfigError naming the text.
std::vector<Objective> parse_objectives(const std::string& text);

}  // namespace faultscape
