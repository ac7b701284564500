#include "project/overrides.h"

#include <set>

#include "common/error.h"
#include "common/json_parse.h"

namespace faultscape {
namespace {

struct Step {
  std::string key;  // object key, or empty for an array index
  size_t index = 0;
};

// "experiments[1].faults.kind" -> experiments, [1], faults, kind
std::vector<Step> parse_key(const std::string& key, const std::string& where) {
  std::vector<Step> steps;
  size_t i = 0;
  while (i < key.size()) {
    if (key[i] == '[') {
      size_t close = key.find(']', i);
      std::string digits = close == std::string::npos ? "" : key.substr(i + 1, close - i - 1);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
        throw ConfigError(where + ": expected an index like [0] in \"" + key + "\"");
      if (digits.size() > 9) throw ConfigError(where + ": index [" + digits + "] is not in the document");
      steps.push_back({"", std::stoul(digits)});
      i = close + 1;
      if (i < key.size() && key[i] == '.') ++i;
      continue;
    }
    size_t end = key.find_first_of(".[", i);
    if (end == std::string::npos) end = key.size();
    if (end == i) throw ConfigError(where + ": empty key segment in \"" + key + "\"");
    steps.push_back({key.substr(i, end - i)});
    i = end;
    if (i < key.size() && key[i] == '.') ++i;
  }
  if (steps.empty() || steps.front().key.empty()) throw ConfigError(where + ": expected KEY=VALUE with a key name");
  return steps;
}

void assign(nlohmann::json& root, const std::vector<Step>& steps, const nlohmann::json& value,
            const std::string& where) {
  nlohmann::json* node = &root;
  for (const Step& s : steps) {
    if (s.key.empty()) {
      if (!node->is_array() || s.index >= node->size())
        throw ConfigError(where + ": index [" + std::to_string(s.index) + "] is not in the document");
      node = &(*node)[s.index];
    } else {
      if (!node->is_object() && !node->is_null())
        throw ConfigError(where + ": \"" + s.key + "\" is inside a non-object");
      node = &(*node)[s.key];
    }
  }
  *node = value;
}

}  // namespace

void apply_override(nlohmann::json& project, const std::string& assignment, const std::string& experiment) {
  const std::string where = "--set " + assignment;
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos) throw ConfigError(where + ": expected KEY=VALUE");
  const std::vector<Step> steps = parse_key(assignment.substr(0, eq), where);
  const std::string text = assignment.substr(eq + 1);
  // VALUE is JSON when it parses as JSON, else text; JSON beyond the limits is refused.
  nlohmann::json value;
  try {
    value = parse_json(text);
  } catch (const JsonError& e) {
    if (e.kind == JsonError::Kind::limit) throw ConfigError(where.substr(0, 60) + ": VALUE " + e.what());
    value = text;
  }

  static const std::set<std::string> root_keys = {"name",         "seed",          "seeds",      "threads",
                                                  "device",       "deterministic", "output_dir", "experiments",
                                                  "presentation", "lesson"};
  if (root_keys.count(steps.front().key)) {
    assign(project, steps, value, where);
    return;
  }
  if (!project.contains("experiments") || !project["experiments"].is_array())
    throw ConfigError(where + ": the project has no experiments to set it in");
  bool matched = false;
  for (auto& e : project["experiments"]) {
    if (!e.is_object()) continue;  // validation names it
    // A name that is not a string (an earlier --set may have made it one) matches nothing; value()
    // would throw a library type error (found by fuzz_overrides).
    const auto name = e.find("name");
    if (!experiment.empty() && (name == e.end() || !name->is_string() || name->get<std::string>() != experiment))
      continue;
    assign(e, steps, value, where);
    matched = true;
  }
  if (!matched) throw ConfigError(where + ": no experiment named \"" + experiment + "\"");
}

}  // namespace faultscape
