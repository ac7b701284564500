#include "ftt/fat_json.h"

namespace faultscape {
namespace {

using nlohmann::json;

const std::vector<std::string> kGranularities = {"channel", "pixel", "element"};
const std::vector<std::string> kDropoutKinds = {"none", "dropout", "dropout2d"};

bool probability(double v) { return v >= 0 && v <= 1; }

void read_layers(Reader& r, std::vector<std::string>& out) {
  const json* v = r.array("layers");
  if (!v) return;
  std::vector<std::string> names;
  for (const auto& n : *v) {
    if (!n.is_string() || n.get<std::string>().empty()) {
      r.problem("layers", "expected an array of stage names, got " + describe_value(*v));
      return;
    }
    names.push_back(n.get<std::string>());
  }
  out = names;
}

}  // namespace

json to_json(const FatConfig& c) {
  json values = c.stuck_values.empty() ? json("auto") : json(c.stuck_values);
  return {{"method", c.method},     {"p", c.p},          {"p_end", c.p_end}, {"granularity", c.granularity},
          {"stuck_values", values}, {"layers", c.layers}};
}

json to_json(const DropoutConfig& c) { return {{"kind", c.kind}, {"p", c.p}, {"layers", c.layers}}; }

void read_config(Reader& r, FatConfig& c) {
  r.get_int("method", c.method, 0, 2);
  r.get_number("p", c.p, probability, "a probability in [0, 1]");
  // p_end = -1 is what to_json writes for "no schedule"; accept it back.
  r.get_number(
      "p_end", c.p_end, [](double v) { return v == -1 || probability(v); }, "a probability in [0, 1] (or -1: p fixed)");
  r.get_choice("granularity", c.granularity, kGranularities);
  if (r.has("stuck_values")) {
    const json& v = r.value().at("stuck_values");
    bool numbers = v.is_array() && !v.empty();
    if (numbers)
      for (const auto& x : v) numbers = numbers && x.is_number();
    if (v == "auto")
      c.stuck_values.clear();
    else if (numbers)
      c.stuck_values = v.get<std::vector<double>>();
    else
      r.problem("stuck_values", "expected \"auto\" or a non-empty array of numbers, got " + describe_value(v));
  }
  read_layers(r, c.layers);
  r.report_unknown();
}

void read_config(Reader& r, DropoutConfig& c) {
  r.get_choice("kind", c.kind, kDropoutKinds);
  r.get_number(
      "p", c.p, [](double v) { return v >= 0 && v < 1; }, "a probability in [0, 1)");
  read_layers(r, c.layers);
  r.report_unknown();
}

}  // namespace faultscape
