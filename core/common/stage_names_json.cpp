#include "common/stage_names_json.h"

namespace faultscape {

void read_stage_names(Reader& r, const std::string& key, std::vector<std::string>& out) {
  const nlohmann::json* names = r.array(key);
  if (!names) return;
  for (size_t i = 0; i < names->size(); ++i) {
    if ((*names)[i].is_string())
      out.push_back((*names)[i].get<std::string>());
    else
      r.problem(key, "element " + std::to_string(i) + ": expected a stage name, got " + describe_value((*names)[i]));
  }
}

}  // namespace faultscape
