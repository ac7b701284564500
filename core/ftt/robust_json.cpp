#include "ftt/robust_json.h"

#include "faults/number_format.h"

namespace faultscape {
namespace {

using nlohmann::json;

const std::vector<std::string> kPenalties = {"l1", "l2"};

bool positive(double v) { return v > 0; }
bool non_negative(double v) { return v >= 0; }

void read_names(Reader& r, const std::string& key, std::vector<std::string>& out,
                const std::vector<std::string>& allowed = {}) {
  const json* v = r.array(key);
  if (!v) return;
  std::vector<std::string> names;
  for (const auto& n : *v) {
    bool ok = n.is_string() && !n.get<std::string>().empty();
    if (ok && !allowed.empty()) ok = std::find(allowed.begin(), allowed.end(), n.get<std::string>()) != allowed.end();
    if (!ok) {
      r.problem(key, allowed.empty() ? "expected an array of stage names, got " + describe_value(*v)
                                     : "expected an array of " + quoted_list(allowed) + ", got " + describe_value(*v));
      return;
    }
    names.push_back(n.get<std::string>());
  }
  out = names;
}

}  // namespace

json to_json(const LearnedThresholdConfig& c) {
  return {{"granularity", c.granularity},
          {"lambda", c.lambda},
          {"penalty", c.penalty},
          {"init_percentile", c.init_percentile},
          {"profile_images", c.profile_images},
          {"layers", c.layers},
          {"epochs", c.epochs},
          {"sharpness", c.sharpness}};
}

json to_json(const QuantBoundConfig& c) {
  return {{"lambda", c.lambda}, {"penalty", c.penalty}, {"weights", c.weights}, {"min_bound", c.min_bound}};
}

json to_json(const BitflipTrainingConfig& c) {
  return {{"ber", c.ber},         {"format", c.format},     {"bit_field", c.bit_field},        {"layers", c.layers},
          {"tensors", c.tensors}, {"max_loss", c.max_loss}, {"faulty_weight", c.faulty_weight}};
}

json to_json(const SaturatingTrainingConfig& c) {
  return {{"function", c.function}, {"factor", c.factor}, {"layers", c.layers}};
}

void read_config(Reader& r, LearnedThresholdConfig& c) {
  r.get_choice("granularity", c.granularity, {"layer", "channel"});
  r.get_number("lambda", c.lambda, non_negative, "a number >= 0");
  r.get_choice("penalty", c.penalty, kPenalties);
  r.get_number(
      "init_percentile", c.init_percentile, [](double v) { return v > 0 && v <= 100; }, "a percentile in (0, 100]");
  r.get_int("profile_images", c.profile_images, 1);
  read_names(r, "layers", c.layers);
  r.get_int("epochs", c.epochs, 0);
  r.get_number("sharpness", c.sharpness, positive, "a number > 0");
  r.report_unknown();
}

void read_config(Reader& r, QuantBoundConfig& c) {
  r.get_number("lambda", c.lambda, non_negative, "a number >= 0");
  r.get_choice("penalty", c.penalty, kPenalties);
  r.get("weights", c.weights);
  r.get_number("min_bound", c.min_bound, positive, "a number > 0");
  r.report_unknown();
}

void read_config(Reader& r, BitflipTrainingConfig& c) {
  r.get_number(
      "ber", c.ber, [](double v) { return v > 0 && v <= 0.5; }, "a bit-error rate in (0, 0.5]");
  if (r.has("format")) {
    std::string fmt = c.format;
    r.get("format", fmt);
    if (fmt == "auto" || NumberFormat::valid(fmt))
      c.format = fmt;
    else
      r.problem("format", "expected \"auto\", \"fp32\", \"fp16\", \"bf16\" or \"int1\"..\"int16\", got " +
                              describe_value(r.value().at("format")));
  }
  r.get_choice("bit_field", c.bit_field, {"all", "sign", "exponent", "mantissa"});
  read_names(r, "layers", c.layers);
  read_names(r, "tensors", c.tensors, {"weight", "bias", "bn"});
  r.get_number("max_loss", c.max_loss, positive, "a number > 0");
  r.get_number(
      "faulty_weight", c.faulty_weight, [](double v) { return v > 0 && v <= 1; },
      "a weight in (0, 1] (the faulty loss's share; 1 = faulty loss only)");
  r.report_unknown();
}

void read_config(Reader& r, SaturatingTrainingConfig& c) {
  r.get_choice("function", c.function, {"tanh", "atan"});
  r.get_number(
      "factor", c.factor, [](double v) { return v > 1; }, "a number > 1");
  read_names(r, "layers", c.layers);
  r.report_unknown();
}

void robust_to_json(const LearnedThresholdConfig& lt, const QuantBoundConfig& qb, const BitflipTrainingConfig& bf,
                    const SaturatingTrainingConfig& sw, json& training) {
  // Written only when on, so plain training keeps its config hash (and its reusable models).
  if (lt.enabled) training["learned_threshold"] = to_json(lt);
  if (qb.enabled) training["quant_bound"] = to_json(qb);
  if (bf.enabled) training["bitflip_training"] = to_json(bf);
  if (sw.enabled) training["saturating_weights"] = to_json(sw);
}

void read_robust_configs(Reader& r, LearnedThresholdConfig& lt, QuantBoundConfig& qb, BitflipTrainingConfig& bf,
                         SaturatingTrainingConfig& sw) {
  auto read = [&r](const char* key, bool& enabled, auto& config) {
    if (!r.has(key)) return;
    if (!r.value().at(key).is_object()) {
      r.problem(key, "expected an object, got " + describe_value(r.value().at(key)));
      return;
    }
    enabled = true;
    Reader sub = r.object(key);
    read_config(sub, config);
  };
  read("learned_threshold", lt.enabled, lt);
  read("quant_bound", qb.enabled, qb);
  read("bitflip_training", bf.enabled, bf);
  read("saturating_weights", sw.enabled, sw);
}

}  // namespace faultscape
