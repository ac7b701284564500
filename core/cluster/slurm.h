// `faultscape-cli slurm`: the scripts of a Slurm array job for a project. Three jobs, each waiting
// for the previous one to succeed: one trains (or reuses) the models, an array of N tasks runs
// shard I/N of every campaign (`run --shard`), and one merges the shards into the project's
// database (`merge`). A submit script queues the three with sbatch --dependency=afterok.
#pragma once
#include <string>
#include <vector>

namespace faultscape {

struct SlurmOptions {
  std::string cli;           // faultscape-cli, as the compute nodes reach it (absolute path)
  std::string project_file;  // absolute path
  std::string database;      // the project's results database (absolute path)
  std::string name;          // job name prefix (the project's name)
  int array = 1;             // shards
  int cpus_per_task = 2;     // also the --threads of every step (part of the configuration)
  int gpus_per_task = 0;     // 0: no --gpus-per-task line
  std::string partition;     // empty: the cluster's default
  std::string time = "04:00:00";
  std::string output_dir;              // --output-dir given to every step; empty: the project's
  std::vector<std::string> arguments;  // more `run` arguments (--set KEY=VALUE, -e NAME)
  std::string out_dir;                 // where the scripts go
};

// Writes <out_dir>/<name>.{train,shards,merge}.sbatch and <name>.submit.sh; returns their paths
// (submit script last).
std::vector<std::string> write_slurm_scripts(const SlurmOptions& options);

}  // namespace faultscape
