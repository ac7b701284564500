// The subcommands of faultscape-cli. Each returns its results as JSON (printed whole with --json)
// and writes a human-readable account to stdout otherwise.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cli/options.h"

namespace faultscape::cli {

nlohmann::json cmd_train(const GlobalOptions& g, nlohmann::json experiment);
nlohmann::json cmd_eval(const GlobalOptions& g, const std::string& model_file, nlohmann::json experiment);
// overrides: "KEY=VALUE" assignments applied to the project file first (project/overrides.h);
// plot_dir: when not empty, the figures of the runs made (training, campaigns, design-space
// points and their Pareto front) are rendered there as PDF + PNG + CSV, as `plot` does.
nlohmann::json cmd_run(const GlobalOptions& g, bool output_dir_given, const std::string& project_file,
                       const std::string& experiment, bool retrain, const std::vector<std::string>& overrides,
                       const std::string& plot_dir);
nlohmann::json cmd_export(const GlobalOptions& g, const std::string& source, long long run, const std::string& format,
                          const std::string& out_dir);
// prune: vulnerability (or L1) channel pruning of a trained model, fine-tuning, cost report.
struct PruneOptions {
  std::string criterion = "vulnerability";
  double ratio = 0.25;
  int epochs = 10;
  double lr = 0.001;
  std::string layers;      // comma-separated; empty = all
  bool correlate = false;  // also rank-correlate eq. 1 with a measured channel stuck-at ranking
  long long stuck_images = 1000;
  std::string save;  // where to write the pruned, fine-tuned model; empty = not saved
};
nlohmann::json cmd_prune(const GlobalOptions& g, const std::string& model_file, nlohmann::json experiment,
                         const PruneOptions& options);
nlohmann::json cmd_info(const GlobalOptions& g, const std::string& model_file, nlohmann::json experiment);

}  // namespace faultscape::cli
