// One fault to explain, as the explorer, `faultscape-cli explain --fault` and lessons describe it:
//   {"target": "weights", "layer": "conv0", "tensor": "weight", "index": 12, "bit": 30}
//   {"target": "activations", "layer": "conv1", "channel": 3, "value": 0}        (stuck channel)
//   {"target": "activations", "layer": "conv1", "pixel": [4, 5], "value": 1.5}   (stuck pixel)
//   {"target": "activations", "layer": "conv1", "channel": 2, "pixel": [4, 5], "value": 1} (one element)
//   {"target": "activations", "layer": "fc0", "element": 17, "bit": 30}          (one stored bit)
//   {"replay": {"run": 3, "trial": 41}}                                          (a stored trial)
// "format" (auto | fp32 | fp16 | bf16 | intN) overrides the stored number format of a bit fault.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace faultscape {

class Reader;
struct RunRow;
struct TrialRow;

struct ExplainFault {
  std::string target = "weights";  // weights | activations
  std::string layer;               // stage name
  // weights: "weight" | "bias" | "bn", or a full tensor name ("conv0.0.conv.weight")
  std::string tensor = "weight";
  int64_t index = 0;  // weights: flat element index in the tensor
  // activations: a stuck channel, pixel (same pixel in every channel) or one element (flat index
  // within one image's activation); -1 = not given
  int64_t channel = -1, h = -1, w = -1, element = -1;
  int bit = -1;      // a bit of the stored word to flip (-1: none, `value` is written instead)
  double value = 0;  // stuck value (activations) / the value a weight word reads as
  std::string format = "auto";
  // Where a replayed fault came from (-1: not a replay).
  int64_t replay_run = -1, replay_trial = -1;

  bool on_weights() const { return target == "weights"; }
  bool flips_bit() const { return bit >= 0; }
};

void read_config(Reader& reader, ExplainFault& out);
// Throws ValidationError naming `source` and every invalid field. A {"replay": ...} object is
// returned with only replay_run / replay_trial set (resolve it with fault_of_trial).
ExplainFault parse_explain_fault(const nlohmann::json& j, const std::string& source);
bool is_replay(const nlohmann::json& j);
nlohmann::json to_json(const ExplainFault& fault);

// The fault a stored stuck-sweep trial injected (its params: layer, value, channel or pixel).
// Throws ConfigError naming the run and trial when the run is not a stuck sweep.
ExplainFault fault_of_trial(const RunRow& run, const TrialRow& trial);

}  // namespace faultscape
