#include "protect/protection_spec.h"

#include "common/json_reader.h"

#include <algorithm>

namespace faultscape {
namespace {

void read_layers(Reader& r, std::vector<std::string>& out) {
  const nlohmann::json* a = r.array("layers");
  if (!a) return;
  for (size_t i = 0; i < a->size(); ++i) {
    if ((*a)[i].is_string()) out.push_back((*a)[i].get<std::string>());
    else r.problem("layers", "element " + std::to_string(i) + ": expected a stage name, got " + describe_value((*a)[i]));
  }
}

// "auto" (or absent) = the quantizer's levels; else a list of numbers.
void read_stuck_values(Reader& r, std::vector<double>& out) {
  nlohmann::json v;
  r.get_raw("stuck_values", v);
  if (v.is_null()) return;
  if (v.is_string() && v.get<std::string>() == "auto") return;
  if (v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), [](const auto& x) { return x.is_number(); })) {
    for (const auto& x : v) out.push_back(x.get<double>());
    return;
  }
  r.problem("stuck_values", "expected \"auto\" or a non-empty list of numbers, got " + describe_value(v));
}

ProtectionSpec read_one(Reader& r) {
  ProtectionSpec s;
  s.path = r.path();
  if (!r.has("scheme")) {
    r.problem("scheme", "missing; expected one of " + quoted_list(protection_schemes()));
    r.report_unknown();
    return s;
  }
  r.get_choice("scheme", s.scheme, protection_schemes());
  read_layers(r, s.layers);
  auto positive = [](double v) { return v > 0; };
  if (s.scheme == "tmr") {
    r.get_choice("vote", s.vote, {"median", "min"});
  } else if (s.scheme == "bypass") {
    if (s.layers.empty()) r.problem("layers", "bypass needs the stages to remove, e.g. [\"block2_1\"]");
  } else if (s.scheme == "replicate") {
    r.get_int("k", s.k, 0);
    read_stuck_values(r, s.stuck_values);
    r.get_int("profile_images", s.profile_images, 1);
  } else if (s.scheme == "ranger" || s.scheme == "clipact") {
    r.get_choice("granularity", s.granularity, {"layer", "channel"});
    r.get_number("percentile", s.percentile, [](double v) { return v >= 50 && v <= 100; }, "a number in [50, 100]");
    r.get_int("profile_images", s.profile_images, 1);
  } else if (s.scheme == "edac") {
    r.get_number("ratio", s.ratio, [](double v) { return v >= 0 && v <= 1; }, "a fraction in [0, 1]");
    r.get_int("copies", s.copies, 2, 3);
    r.get("intervals", s.intervals);
    r.get_number("percentile", s.percentile, [](double v) { return v >= 50 && v <= 100; }, "a number in [50, 100]");
    r.get_int("profile_images", s.profile_images, 1);
  } else if (s.scheme == "abft") {
    r.get_number("tolerance", s.tolerance, positive, "a number > 0");
  } else if (s.scheme == "saturate") {
    s.factor = 1.5;
    r.get_choice("function", s.function, {"tanh", "atan"});
    r.get_number("factor", s.factor, [](double v) { return v > 1; }, "a number > 1 (s = factor * max|w|)");
  } else if (s.scheme == "scale") {
    s.factor = 64;
    r.get_number("factor", s.factor, positive, "a number > 0");
  } else if (s.scheme == "qbound") {
    s.factor = 0.8;
    s.tolerance = 1.0;
    r.get_choice("mode", s.mode, {"basic", "optimized"});
    r.get_number("factor", s.factor, [](double v) { return v > 0 && v <= 1; },
                 s.mode == "basic" ? "a shrink factor in (0, 1]" : "the smallest shrink factor tried, in (0, 1]");
    if (s.mode == "optimized") {
      s.factor = r.has("factor") ? s.factor : 0.05;
      r.get_number("tolerance", s.tolerance, [](double v) { return v >= 0 && v < 100; },
                   "accuracy points in [0, 100)");
      r.get_int("profile_images", s.profile_images, 1);
    }
  }
  r.report_unknown();
  return s;
}

}  // namespace

std::vector<std::string> protection_schemes() {
  return {"tmr", "replicate", "edac", "abft", "ranger", "clipact", "saturate", "scale", "qbound", "bypass"};
}

nlohmann::json ProtectionSpec::to_json() const {
  nlohmann::json j = {{"scheme", scheme}};
  if (!layers.empty()) j["layers"] = layers;
  if (scheme == "tmr") j["vote"] = vote;
  if (scheme == "replicate") {
    j.update({{"k", k}, {"profile_images", profile_images}});
    j["stuck_values"] = stuck_values.empty() ? nlohmann::json("auto") : nlohmann::json(stuck_values);
  }
  if (scheme == "qbound") {
    j["mode"] = mode;
    if (mode == "optimized") j.update({{"tolerance", tolerance}, {"profile_images", profile_images}});
  }
  if (scheme == "ranger" || scheme == "clipact")
    j.update({{"granularity", granularity}, {"percentile", percentile}, {"profile_images", profile_images}});
  if (scheme == "edac")
    j.update({{"ratio", ratio}, {"copies", copies}, {"intervals", intervals}, {"percentile", percentile},
              {"profile_images", profile_images}});
  if (scheme == "abft") j["tolerance"] = tolerance;
  if (scheme == "saturate") j["function"] = function;
  if (scheme == "saturate" || scheme == "scale" || scheme == "qbound") j["factor"] = factor;
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
