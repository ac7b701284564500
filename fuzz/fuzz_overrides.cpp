// Fuzz target: the --set parser. The first line of the bytes is the --experiment filter (empty:
// every experiment), each further line one --set KEY=VALUE assignment; they are applied to a small
// valid project as faultscape-cli run applies them (apply_override, in order), and the result is
// validated (parse_project). Errors of an assignment must name it ("--set ..."), errors of the
// result the project.
#include <torch/torch.h>

#include <sstream>

#include "fuzz_support.h"
#include "project/overrides.h"
#include "project/project.h"

namespace {

const char* kBase = R"({
  "name": "fuzz", "seed": 1, "threads": 1, "output_dir": "out",
  "experiments": [
    {"name": "a",
     "dataset": {"name": "synthetic", "synthetic": {"train": 32, "test": 16, "shape": [1, 8, 8], "classes": 4}},
     "model": {"name": "mlp"},
     "training": {"epochs": 1, "batch_size": 16},
     "faults": {"kind": "bitflip", "target": "weights", "format": "fp32"},
     "campaign": {"kind": "ber_sweep", "bers": [1e-3], "trials": 2, "batch_size": 16}},
    {"name": "b",
     "dataset": {"name": "synthetic"},
     "model": {"name": "lenet5", "weight_bits": 4, "act_bits": 4},
     "faults": {"kind": "stuck_at", "target": "activations", "granularity": "channel"},
     "protection": [{"scheme": "tmr"}],
     "campaign": {"kind": "stuck_sweep", "test_limit": 16}}
  ]
})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace faultscape;
  static const nlohmann::json base = nlohmann::json::parse(kBase);
  std::istringstream lines(std::string(reinterpret_cast<const char*>(data), size));
  std::string experiment, line;
  std::getline(lines, experiment);
  nlohmann::json document = base;
  while (std::getline(lines, line)) {
    if (!fuzz::expect_clean("--set ", [&] { apply_override(document, line, experiment); })) return 0;
  }
  fuzz::expect_clean("overrides.json", [&] { parse_project(document, "overrides.json"); });
  return 0;
}
