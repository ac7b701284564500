#include "faults/fault_model.h"

#include <cmath>

#include "faults/number_format.h"
#include "common/json_reader.h"

namespace faultscape {

void read_config(Reader& r, FaultModel& f) {
  r.get_choice("kind", f.kind, {"bitflip", "stuck_at", "stuck_bits", "random_value", "gaussian_noise"});
  r.get_choice("target", f.target, {"weights", "activations"});
  r.get_choice("granularity", f.granularity, {"channel", "pixel", "element"});
  if (r.has("format")) {
    std::string fmt;
    r.get("format", fmt);
    if (fmt == "auto" || NumberFormat::valid(fmt))
      f.format = fmt;
    else
      r.problem("format",
                "expected \"auto\", \"fp32\", \"fp16\", \"bf16\" or \"int1\"..\"int16\", got " + describe_value(fmt));
  }
  r.get_choice("bit_field", f.bit_field, {"all", "sign", "exponent", "mantissa"});
  if (const nlohmann::json* bits = r.array("bits")) {
    f.bits.clear();
    for (size_t i = 0; i < bits->size(); ++i) {
      const auto& b = (*bits)[i];
      if (!b.is_number_integer() || b.get<int>() < 0 || b.get<int>() > 31)
        r.problem("bits", "element " + std::to_string(i) + ": expected a bit position 0-31, got " + describe_value(b));
      else
        f.bits.push_back(b.get<int>());
    }
  }
  r.get_int("bits_per_word", f.bits_per_word, 1, 32);
  for (auto [key, out] : {std::pair{"layers", &f.layers}, std::pair{"tensors", &f.tensors}}) {
    if (const nlohmann::json* list = r.array(key)) {
      out->clear();
      for (const auto& v : *list) {
        if (!v.is_string())
          r.problem(key, "expected strings, got " + describe_value(v));
        else
          out->push_back(v.get<std::string>());
      }
    }
  }
  for (const auto& t : f.tensors)
    if (t != "weight" && t != "bias" && t != "bn")
      r.problem("tensors", "expected \"weight\", \"bias\" or \"bn\", got " + describe_value(t));
  r.get("fault_checkers", f.fault_checkers);
  r.get_number(
      "int_step", f.int_step, [](double x) { return x >= 0 && std::isfinite(x); }, "a step >= 0 (0 = per tensor)");
  if (r.has("stuck_values")) {
    nlohmann::json v;
    r.get_raw("stuck_values", v);
    bool numbers = v.is_array() && !v.empty();
    for (const auto& x : v.is_array() ? v : nlohmann::json::array()) numbers = numbers && x.is_number();
    if (v == "auto" || numbers)
      f.stuck_values = v;
    else
      r.problem("stuck_values", "expected \"auto\" or a non-empty list of numbers, got " + describe_value(v));
  }
  r.get_number(
      "stuck_one_fraction", f.stuck_one_fraction, [](double x) { return x >= 0 && x <= 1; }, "a number in [0, 1]");
  r.get_number(
      "value_range", f.value_range, [](double x) { return x >= 0; }, "a number >= 0");
  r.get_choice("mapping", f.mapping, {"dataflow", "loopback"});
  r.get_int("pe_count", f.pe_count, 0, 1 << 20);
  r.get_int("samples", f.samples, 0);
  if (f.mapping == "loopback" && f.pe_count < 1) r.problem("pe_count", "loopback mapping needs pe_count >= 1");
  if (f.target == "weights" && f.kind == "stuck_at")
    r.problem("kind", "stuck_at applies to activations; for weight memory use \"stuck_bits\"");
  if (f.target == "activations" && f.kind == "stuck_bits")
    r.problem("kind", "stuck_bits applies to weights; for activations use \"stuck_at\"");
  r.report_unknown();
}

nlohmann::json to_json(const FaultModel& f) {
  return {{"kind", f.kind},
          {"target", f.target},
          {"granularity", f.granularity},
          {"format", f.format},
          {"bit_field", f.bit_field},
          {"bits", f.bits},
          {"bits_per_word", f.bits_per_word},
          {"layers", f.layers},
          {"tensors", f.tensors},
          {"fault_checkers", f.fault_checkers},
          {"int_step", f.int_step},
          {"stuck_values", f.stuck_values},
          {"stuck_one_fraction", f.stuck_one_fraction},
          {"value_range", f.value_range},
          {"mapping", f.mapping},
          {"pe_count", f.pe_count},
          {"samples", f.samples}};
}

}  // namespace faultscape
