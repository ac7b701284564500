#include "explain/explain_fault.h"

#include "common/error.h"
#include "common/json_reader.h"
#include "faults/number_format.h"
#include "store/result_store.h"

namespace faultscape {

void read_config(Reader& r, ExplainFault& f) {
  if (!r.is_object()) {
    r.problem("", "expected an object with \"target\" and \"layer\", or {\"replay\": {\"run\": R, \"trial\": N}}");
    return;
  }
  if (r.has("replay")) {
    Reader rep = r.object("replay");
    if (!rep.has("run")) rep.problem("run", "missing: the id of a stuck-sweep run of the results database");
    if (!rep.has("trial")) rep.problem("trial", "missing: the trial index within that run");
    rep.get_int("run", f.replay_run, 1);
    rep.get_int("trial", f.replay_trial, 0);
    rep.report_unknown();
    r.report_unknown();
    return;
  }
  r.get_choice("target", f.target, {"weights", "activations"});
  if (!r.has("layer")) r.problem("layer", "missing: the stage the fault hits (\"conv0\", \"fc1\", ...)");
  r.get("layer", f.layer);
  r.get("format", f.format);
  if (f.format != "auto" && !NumberFormat::valid(f.format))
    r.problem("format", "expected auto, fp32, fp16, bf16 or int1 .. int16, got " + describe_value(f.format));
  r.get_int("bit", f.bit, 0, 31);
  const bool has_value = r.has("value");
  r.get_number(
      "value", f.value, [](double) { return true; }, "a number");
  if (f.on_weights()) {
    r.get("tensor", f.tensor);
    if (!r.has("index")) r.problem("index", "missing: the flat element index in the tensor");
    r.get_int("index", f.index, 0);
    if (f.bit < 0 && !has_value) r.problem("bit", "missing: a weight fault flips a \"bit\" or sets a \"value\"");
  } else {
    r.get_int("channel", f.channel, 0);
    r.get_int("element", f.element, 0);
    if (const nlohmann::json* p = r.array("pixel")) {
      if (p->size() != 2 || !(*p)[0].is_number_integer() || !(*p)[1].is_number_integer() || (*p)[0] < 0 || (*p)[1] < 0)
        r.problem("pixel", "expected [row, column] of two integers >= 0, got " + describe_value(*p));
      else
        f.h = (*p)[0].get<int64_t>(), f.w = (*p)[1].get<int64_t>();
    }
    // channel, pixel, channel + pixel (one element of a spatial site), or a flat element
    if (f.channel < 0 && f.h < 0 && f.element < 0)
      r.problem("channel", "missing: one of \"channel\", \"pixel\" or \"element\"");
    if (f.element >= 0 && (f.channel >= 0 || f.h >= 0))
      r.problem("element", "give either \"element\" or \"channel\" / \"pixel\", not both");
    if (f.flips_bit() && f.element < 0)
      r.problem("bit",
                "a bit flip hits one stored word: give \"element\" (a channel or pixel is stuck at a \"value\")");
    if (!f.flips_bit() && !has_value) r.problem("value", "missing: the stuck value (or a \"bit\" of an element)");
  }
  if (f.format != "auto" && f.flips_bit() && NumberFormat::valid(f.format) &&
      f.bit >= NumberFormat::parse(f.format).bits)
    r.problem("bit", "bit " + std::to_string(f.bit) + " is outside a " + f.format + " word");
  r.report_unknown();
}

bool is_replay(const nlohmann::json& j) { return j.is_object() && j.contains("replay"); }

ExplainFault parse_explain_fault(const nlohmann::json& j, const std::string& source) {
  Problems problems;
  ExplainFault f;
  Reader reader(j, "", problems);
  read_config(reader, f);
  problems.throw_if_any(source);
  return f;
}

nlohmann::json to_json(const ExplainFault& f) {
  if (f.replay_run >= 0 && f.layer.empty()) return {{"replay", {{"run", f.replay_run}, {"trial", f.replay_trial}}}};
  nlohmann::json j = {{"target", f.target}, {"layer", f.layer}};
  if (f.format != "auto") j["format"] = f.format;
  if (f.on_weights()) {
    j["tensor"] = f.tensor;
    j["index"] = f.index;
  } else {
    if (f.channel >= 0) j["channel"] = f.channel;
    if (f.h >= 0) j["pixel"] = {f.h, f.w};
    if (f.element >= 0) j["element"] = f.element;
  }
  if (f.flips_bit())
    j["bit"] = f.bit;
  else
    j["value"] = f.value;
  if (f.replay_run >= 0) j["replayed_from"] = {{"run", f.replay_run}, {"trial", f.replay_trial}};
  return j;
}

ExplainFault fault_of_trial(const RunRow& run, const TrialRow& trial) {
  const std::string where = "run " + std::to_string(run.id) + " trial " + std::to_string(trial.trial);
  if (run.kind != "stuck_sweep")
    throw ConfigError(where + ": only stuck-sweep trials can be replayed (this run is a " + run.kind + ")");
  const nlohmann::json& p = trial.params;
  if (!p.contains("layer") || !p.contains("value"))
    throw ConfigError(where + ": the trial names no layer and value (a loopback trial hits every layer)");
  ExplainFault f;
  f.target = "activations";
  f.layer = p["layer"].get<std::string>();
  f.value = p["value"].get<double>();
  if (p.contains("channel")) f.channel = p["channel"].get<int64_t>();
  if (p.contains("pixel")) f.h = p["pixel"][0].get<int64_t>(), f.w = p["pixel"][1].get<int64_t>();
  f.replay_run = run.id;
  f.replay_trial = trial.trial;
  return f;
}

}  // namespace faultscape
