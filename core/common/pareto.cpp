#include "common/pareto.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "common/error.h"

namespace faultscape {
namespace {

const nlohmann::json* lookup(const nlohmann::json& point, const std::string& key) {
  const nlohmann::json* v = &point;
  std::stringstream parts(key);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (!v->is_object() || !v->contains(part)) return nullptr;
    v = &(*v)[part];
  }
  return v;
}

void flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "/" + it.key();
    if (it->is_object())
      flatten(*it, key, out);
    else if (it->is_string())
      out[key] = it->get<std::string>();
    else if (!it->is_array())
      out[key] = it->dump();
  }
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

bool dominates(const std::vector<double>& a, const std::vector<double>& b, const std::vector<Objective>& objectives) {
  bool better = false;
  for (size_t k = 0; k < objectives.size(); ++k) {
    const double x = objectives[k].maximize ? -a[k] : a[k], y = objectives[k].maximize ? -b[k] : b[k];
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

std::vector<int> nondominated_ranks(const std::vector<std::vector<double>>& values,
                                    const std::vector<Objective>& objectives) {
  const size_t n = values.size();
  for (size_t i = 0; i < n; ++i) {
    if (values[i].size() != objectives.size())
      throw ConfigError("pareto: point " + std::to_string(i) + " has " + std::to_string(values[i].size()) +
                        " values for " + std::to_string(objectives.size()) + " objectives");
    for (size_t k = 0; k < objectives.size(); ++k)
      if (std::isnan(values[i][k]))
        throw ConfigError("pareto: point " + std::to_string(i) + " has NaN for objective " + objectives[k].name);
  }
  // Fast non-dominated sort: count how many points dominate each one, peel fronts off.
  std::vector<std::vector<size_t>> dominated(n);
  std::vector<int> count(n, 0), rank(n, -1);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      if (dominates(values[i], values[j], objectives))
        dominated[i].push_back(j), ++count[j];
      else if (dominates(values[j], values[i], objectives))
        dominated[j].push_back(i), ++count[i];
    }
  std::vector<size_t> front;
  for (size_t i = 0; i < n; ++i)
    if (count[i] == 0) front.push_back(i);
  for (int r = 0; !front.empty(); ++r) {
    std::vector<size_t> next;
    for (size_t i : front) {
      rank[i] = r;
      for (size_t j : dominated[i])
        if (--count[j] == 0) next.push_back(j);
    }
    front.swap(next);
  }
  return rank;
}

nlohmann::json pareto_sort(const nlohmann::json& points, const std::vector<Objective>& objectives) {
  std::vector<std::vector<double>> values;
  for (size_t i = 0; i < points.size(); ++i) {
    std::vector<double> v;
    for (const auto& o : objectives) {
      const nlohmann::json* x = lookup(points[i], o.name);
      if (!x || !x->is_number())
        throw ConfigError("pareto: point " + std::to_string(i) + " has no number \"" + o.name + "\"");
      v.push_back(x->get<double>());
    }
    values.push_back(v);
  }
  std::vector<int> rank = nondominated_ranks(values, objectives);
  std::vector<size_t> order(points.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rank[a] < rank[b]; });
  nlohmann::json out = nlohmann::json::array();
  for (size_t i : order) {
    nlohmann::json p = points[i];
    p["pareto_rank"] = rank[i];
    p["pareto_front"] = rank[i] == 0;
    out.push_back(p);
  }
  return out;
}

std::string pareto_csv(const nlohmann::json& sorted) {
  std::vector<std::map<std::string, std::string>> rows;
  std::vector<std::string> columns;
  for (const auto& p : sorted) {
    std::map<std::string, std::string> row;
    flatten(p, "", row);
    for (const auto& [k, v] : row)
      if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
    rows.push_back(row);
  }
  std::ostringstream o;
  for (size_t c = 0; c < columns.size(); ++c) o << (c ? "," : "") << csv_field(columns[c]);
  o << "\n";
  for (const auto& row : rows) {
    for (size_t c = 0; c < columns.size(); ++c) {
      auto it = row.find(columns[c]);
      o << (c ? "," : "") << (it == row.end() ? "" : csv_field(it->second));
    }
    o << "\n";
  }
  return o.str();
}

std::vector<Objective> parse_objectives(const std::string& text) {
  std::vector<Objective> out;
  std::stringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ',')) {
    const size_t colon = part.rfind(':');
    const std::string dir = colon == std::string::npos ? "" : part.substr(colon + 1);
    if (colon == std::string::npos || colon == 0 || (dir != "min" && dir != "max"))
      throw ConfigError("objectives: \"" + part + "\" is not NAME:min or NAME:max (in \"" + text + "\")");
    out.push_back({part.substr(0, colon), dir == "max"});
  }
  if (out.empty()) throw ConfigError("objectives: none given");
  return out;
}

}  // namespace faultscape
