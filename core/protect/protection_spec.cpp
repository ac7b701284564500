#include "protect/protection_spec.h"

#include "common/json_reader.h"
#include "common/stage_names_json.h"
#include "protect/scheme.h"

namespace faultscape {
namespace {

ProtectionSpec read_one(Reader& r) {
  ProtectionSpec s;
  s.path = r.path();
  if (!r.has("scheme")) {
    r.problem("scheme", "missing; expected one of " + quoted_list(protection_schemes()));
    r.report_unknown();
    return s;
  }
  r.get_choice("scheme", s.scheme, protection_schemes());
  read_stage_names(r, "layers", s.layers);
  if (const Scheme* scheme = find_scheme(s.scheme)) scheme->read(r, s);
  r.report_unknown();
  return s;
}

}  // namespace

nlohmann::json ProtectionSpec::to_json() const {
  nlohmann::json j = {{"scheme", scheme}};
  if (!layers.empty()) j["layers"] = layers;
  if (const Scheme* s = find_scheme(scheme); s && params) s->write(*this, j);
  return j;
}

std::vector<ProtectionSpec> read_protection(const nlohmann::json& protection, const std::string& path,
                                            Problems& problems) {
  std::vector<ProtectionSpec> out;
  const std::string where = (path.empty() ? "" : path + ".") + "protection";
  if (protection.is_null()) return out;
  if (!protection.is_array()) {
    problems.add(where, "expected an array of schemes, got " + describe_value(protection));
    return out;
  }
  for (size_t i = 0; i < protection.size(); ++i) {
    Reader r(protection[i], where + "[" + std::to_string(i) + "]", problems);
    if (!r.is_object()) {
      problems.add(r.path(), "expected an object {\"scheme\": ...}, got " + describe_value(protection[i]));
      continue;
    }
    out.push_back(read_one(r));
  }
  return out;
}

std::vector<ProtectionSpec> parse_protection(const nlohmann::json& protection, const std::string& source) {
  Problems problems;
  std::vector<ProtectionSpec> specs = read_protection(protection, "", problems);
  problems.throw_if_any(source);
  return specs;
}

}  // namespace faultscape
