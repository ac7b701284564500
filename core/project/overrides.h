// Command-line overrides of a project file: "KEY=VALUE" assignments applied to the JSON document
// before it is validated, so every knob of the project file is reachable from the CLI.
//   KEY   a path as validation messages print them: "campaign.trials", "experiments[1].faults.kind",
//         "protection". Root keys (name, seed, threads, output_dir, experiments...) address the
//         document; any other key is set in every experiment (or only in `experiment` if given).
//   VALUE JSON ("5", "[1e-5, 1e-4]", "{\"scheme\": \"tmr\"}", "true"); text that is not JSON is a string.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace faultscape {

// Throws ConfigError naming the assignment when it has no "=", an empty or malformed key, or an
// array index out of range.
void apply_override(nlohmann::json& project, const std::string& assignment, const std::string& experiment = "");

}  // namespace faultscape
