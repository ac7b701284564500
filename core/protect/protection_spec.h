// The experiment's "protection" array: an ordered list of schemes, each an object with "scheme"
// and its parameters. Schemes are applied in the declared order (each to the previous result).
// What a scheme reads and does is its own (protect/scheme.h); this is the parsed list.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/field_schema.h"

namespace faultscape {

class Problems;

// A scheme's own parameters (TmrParams, EdacParams, ...), defined in its scheme_<name>.cpp.
struct SchemeParams {
  virtual ~SchemeParams() = default;
};

struct ProtectionSpec {
  std::string path;                            // JSON path for messages: "protection[1]"
  std::string scheme;                          // a registered scheme's name (protection_schemes())
  std::vector<std::string> layers;             // stage names; empty = the scheme's default stages
  int64_t profile_images = 2000;               // training images used for profiling, by the schemes that profile
  std::shared_ptr<const SchemeParams> params;  // the scheme's own parameters
  // {"scheme", "layers" when given, and every parameter of the scheme, defaults explicit}.
  nlohmann::json to_json() const;
};

// A scheme as the user sees it: menu title, one sentence with its paper, and its keys.
struct SchemeInfo {
  std::string name;   // "edac"
  std::string title;  // "EDAC (channel duplication)"
  std::string summary;
  std::vector<FieldSchema> fields;
};

// The registered schemes, in menu order (scheme_registry.cpp).
std::vector<std::string> protection_schemes();
const std::vector<SchemeInfo>& protection_scheme_infos();

// `protection` must be an array (or null); `path` prefixes every problem ("experiments[0]").
std::vector<ProtectionSpec> read_protection(const nlohmann::json& protection, const std::string& path,
                                            Problems& problems);
// Throws ValidationError naming `source` when anything is invalid.
std::vector<ProtectionSpec> parse_protection(const nlohmann::json& protection, const std::string& source);

}  // namespace faultscape
