// The subcommands of faultscape-cli. Each returns its results as JSON (printed whole with --json)
// and writes a human-readable account to stdout otherwise.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "campaign/trial_executor.h"
#include "cli/options.h"
#include "cluster/slurm.h"

namespace faultscape::cli {

nlohmann::json cmd_train(const GlobalOptions& g, nlohmann::json experiment);
nlohmann::json cmd_eval(const GlobalOptions& g, const std::string& model_file, nlohmann::json experiment);
struct RunOptions {
  std::string project_file;
  std::string experiment;  // empty: every experiment
  bool retrain = false;
  // "KEY=VALUE" assignments applied to the project file first (project/overrides.h).
  std::vector<std::string> overrides;
  // When not empty, the figures of the runs made (training, campaigns, design-space points and
  // their Pareto front) are rendered there as PDF + PNG + CSV, as `plot` does.
  std::string plot_dir;
  std::string shard;        // "I/N": this Slurm array task's share of every campaign, in a shard database
  bool train_only = false;  // train (or reuse) the models and stop
  // MPI ranks (null: this process alone). Ranks other than 0 record nothing and print nothing.
  TrialExecutor* ranks = nullptr;
};
nlohmann::json cmd_run(const GlobalOptions& g, bool output_dir_given, const RunOptions& options);
// merge: shard databases into the project's database (cluster/shards.h); `out` is the project
// file or the database.
nlohmann::json cmd_merge(const GlobalOptions& g, bool output_dir_given, const std::string& out,
                         const std::vector<std::string>& shards);
// slurm: the sbatch scripts of an array job for a project (cluster/slurm.h).
nlohmann::json cmd_slurm(const GlobalOptions& g, bool output_dir_given, SlurmOptions options);
nlohmann::json cmd_export(const GlobalOptions& g, const std::string& source, long long run, const std::string& format,
                          const std::string& out_dir);
// prune: vulnerability (or L1) channel pruning of a trained model, fine-tuning, cost report.
struct PruneOptions {
  std::string criterion = "vulnerability";
  double ratio = 0.25;
  double linear_ratio = -1;  // < 0: ratio
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
