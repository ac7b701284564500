// Command-line options shared by the subcommands, and the experiment they describe.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace faultscape::cli {

struct GlobalOptions {
  int threads = 0;             // 0 = all cores
  std::string device;          // "" = the project's (default "auto"); else auto | cpu | cuda | cuda:N
  bool deterministic = false;  // also when the project does not ask for it
  long long seed = -1;         // -1 = from the project / default
  std::string output_dir = "results";
  bool json = false;   // last line of stdout: one JSON object with the results
  bool quiet = false;  // no progress output
};

void add_global_options(CLI::App& app, GlobalOptions& options);
// A warning on stderr when more threads are asked for than the machine has cores (allowed, but
// slower than the core count, not faster).
void warn_threads(int threads);

// Adds --model, --dataset, --epochs, ... to `cmd`; every option given is written into `experiment`
// as the project file would hold it, so the same validation applies to both.
void add_dataset_options(CLI::App& cmd, nlohmann::json& experiment);
void add_model_options(CLI::App& cmd, nlohmann::json& experiment);
void add_training_options(CLI::App& cmd, nlohmann::json& experiment);

}  // namespace faultscape::cli
