#include "protect/design_space.h"

#include "common/json_reader.h"
#include "protect/protection_spec.h"

namespace faultscape {
namespace {

// One scheme object with array-valued parameters -> one object per combination of values.
std::vector<nlohmann::json> expand_object(const nlohmann::json& scheme) {
  std::vector<nlohmann::json> out = {nlohmann::json::object()};
  for (auto it = scheme.begin(); it != scheme.end(); ++it) {
    std::vector<nlohmann::json> next;
    // Keys whose value is itself a list are swept only as a list of lists ([[0], [0, 1]]).
    const bool list_valued = it.key() == "layers" || it.key() == "stuck_values";
    const bool sweep = it->is_array() && !it->empty() && (!list_valued || (*it)[0].is_array());
    for (const auto& partial : out)
      for (const auto& v : sweep ? *it : nlohmann::json::array({*it})) {
        nlohmann::json p = partial;
        p[it.key()] = v;
        next.push_back(p);
      }
    out.swap(next);
  }
  return out;
}

}  // namespace

std::string protection_label(const nlohmann::json& protection) {
  std::string label;
  for (const auto& s : protection) {
    // Labels are made before validation reports a bad point: any JSON must give some label.
    if (!s.is_object()) {
      label += (label.empty() ? "" : "+") + s.dump();
      continue;
    }
    std::string part = s.contains("scheme") && s["scheme"].is_string() ? s["scheme"].get<std::string>() : "?", params;
    for (auto it = s.begin(); it != s.end(); ++it)
      if (it.key() != "scheme") params += (params.empty() ? "" : ",") + it.key() + "=" + it->dump();
    if (!params.empty()) part += "(" + params + ")";
    label += (label.empty() ? "" : "+") + part;
  }
  return label.empty() ? "none" : label;
}

std::vector<GridPoint> expand_protection_grid(const nlohmann::json& grid, const std::string& path, Problems& problems) {
  if (!grid.is_array() || grid.empty()) {
    problems.add(path, "expected a non-empty array of axes, got " + describe_value(grid));
    return {};
  }
  std::vector<GridPoint> points = {GridPoint{}};
  for (size_t a = 0; a < grid.size(); ++a) {
    const std::string axis_path = path + "[" + std::to_string(a) + "]";
    if (!grid[a].is_array() || grid[a].empty()) {
      problems.add(axis_path, "expected a non-empty array of alternatives, got " + describe_value(grid[a]));
      continue;
    }
    std::vector<GridPoint> alternatives;
    for (size_t k = 0; k < grid[a].size(); ++k) {
      const nlohmann::json& alt = grid[a][k];
      const std::string alt_path = axis_path + "[" + std::to_string(k) + "]";
      if (alt.is_array()) {
        alternatives.push_back({"", alt, read_protection(alt, alt_path, problems)});
      } else if (alt.is_object()) {
        for (const auto& one : expand_object(alt)) {
          const nlohmann::json list = nlohmann::json::array({one});
          alternatives.push_back({"", list, read_protection(list, alt_path, problems)});
        }
      } else {
        problems.add(alt_path, "expected a scheme object or an array of them, got " + describe_value(alt));
      }
    }
    std::vector<GridPoint> next;
    for (const auto& p : points)
      for (const auto& alt : alternatives) {
        GridPoint q = p;
        for (const auto& s : alt.protection) q.protection.push_back(s);
        q.schemes.insert(q.schemes.end(), alt.schemes.begin(), alt.schemes.end());
        next.push_back(q);
      }
    points.swap(next);
  }
  for (GridPoint& p : points) p.label = protection_label(p.protection);
  return points;
}

}  // namespace faultscape
