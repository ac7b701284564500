// The experiment's "protection" array: an ordered list of schemes, each an object with "scheme"
// and its parameters. Schemes are applied in the declared order (each to the previous result).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace faultscape {

class Problems;

struct ProtectionSpec {
  std::string path;    // JSON path for messages: "protection[1]"
  std::string scheme;  // tmr | replicate | edac | abft | ranger | clipact | saturate | scale | qbound | bypass
  std::vector<std::string> layers;  // stage names; empty = every conv / linear stage (range: but the last)
  std::string vote = "median";      // tmr: median | min (when all three replicas differ)
  std::string granularity = "layer";  // ranger / clipact: layer | channel
  double percentile = 100;          // ranger / clipact / edac: bounds at this percentile of training data
  double ratio = 1.0;               // edac: fraction of channels duplicated per layer (last layer: all)
  int copies = 2;                   // edac: 2 = duplication + EDAC, 3 = triplication + voter
  bool intervals = true;            // edac: zero non-duplicated values outside their interval
  std::string function = "tanh";    // saturate: tanh | atan
  int64_t k = 0;                    // replicate: channels triplicated over all selected layers
  std::vector<double> stuck_values;  // replicate: values of the stuck-at ranking; empty = auto
  double factor = 0;                // saturate: s = factor * max|w| (1.5); scale: k (64); qbound: shrink (0.8)
  std::string mode = "basic";       // qbound: basic (fixed shrink) | optimized (searched shrink)
  double tolerance = 1e-4;          // abft: relative checksum tolerance; qbound optimized: accuracy points (1)
  int64_t profile_images = 2000;    // training images used for profiling (bounds, vulnerability, ranking)
  nlohmann::json to_json() const;
};

std::vector<std::string> protection_schemes();

// `protection` must be an array (or null); `path` prefixes every problem ("experiments[0]").
std::vector<ProtectionSpec> read_protection(const nlohmann::json& protection, const std::string& path,
                                            Problems& problems);
// Throws ValidationError naming `source` when anything is invalid.
std::vector<ProtectionSpec> parse_protection(const nlohmann::json& protection, const std::string& source);

}  // namespace faultscape
