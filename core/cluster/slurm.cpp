#include "cluster/slurm.h"

#include <filesystem>
#include <fstream>

#include "cluster/shards.h"
#include "common/error.h"

namespace faultscape {
namespace {

// Single-quoted for bash, whatever the text holds.
std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string header(const SlurmOptions& o, const std::string& job, const std::string& extra) {
  std::string h = "#!/bin/bash\n# Written by faultscape-cli slurm for " + o.project_file + "\n";
  h += "#SBATCH --job-name=" + o.name + "-" + job + "\n";
  h += "#SBATCH --cpus-per-task=" + std::to_string(o.cpus_per_task) + "\n";
  h += "#SBATCH --time=" + o.time + "\n";
  if (!o.partition.empty()) h += "#SBATCH --partition=" + o.partition + "\n";
  if (o.gpus_per_task > 0 && job != "merge") h += "#SBATCH --gpus-per-task=" + std::to_string(o.gpus_per_task) + "\n";
  h += extra;
  h += "#SBATCH --output=" + o.out_dir + "/" + o.name + "-" + job + (job == "shards" ? "-%A_%a" : "-%j") + ".out\n";
  // The launcher's allocator and BLAS settings (about 2x faster on CPU).
  h += "set -euo pipefail\nexport OPENBLAS_NUM_THREADS=1 MALLOC_MMAP_THRESHOLD_=1073741824 "
       "MALLOC_TRIM_THRESHOLD_=1073741824\n";
  return h;
}

std::string run_command(const SlurmOptions& o, const std::string& what) {
  std::string cmd =
      "srun " + quote(o.cli) + " run " + quote(o.project_file) + " " + what + " --threads \"$SLURM_CPUS_PER_TASK\"";
  if (!o.output_dir.empty()) cmd += " --output-dir " + quote(o.output_dir);
  for (const std::string& a : o.arguments) cmd += " " + quote(a);
  return cmd + "\n";
}

void write_file(const std::string& path, const std::string& text, bool executable) {
  std::ofstream out(path);
  out << text;
  if (!out) throw Error(path + ": cannot write the Slurm script");
  out.close();
  if (executable)
    std::filesystem::permissions(path, std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec,
                                 std::filesystem::perm_options::add);
}

}  // namespace

std::vector<std::string> write_slurm_scripts(const SlurmOptions& o) {
  if (o.array < 1) throw ConfigError("--array " + std::to_string(o.array) + ": expected at least 1 shard");
  if (o.cpus_per_task < 1) throw ConfigError("--cpus-per-task: expected at least 1");
  std::filesystem::create_directories(o.out_dir);
  const std::string stem = (std::filesystem::path(o.out_dir) / o.name).string();
  const std::string n = std::to_string(o.array);

  const std::string train = header(o, "train", "") + run_command(o, "--train-only");
  const std::string shards = header(o, "shards", "#SBATCH --array=0-" + std::to_string(o.array - 1) + "\n") +
                             run_command(o, "--shard \"$SLURM_ARRAY_TASK_ID/" + n + "\"");
  std::string merge = header(o, "merge", "") + "srun " + quote(o.cli) + " merge " + quote(o.database);
  for (int i = 0; i < o.array; ++i) merge += " " + quote(shard_database_path(o.database, {i, o.array}));
  merge += "\n";
  const std::string submit = "#!/bin/bash\n# Queues the three jobs of " + o.project_file + ": train, " + n +
                             " shards, merge; each starts when the previous one succeeded.\nset -euo pipefail\n"
                             "cd " +
                             quote(o.out_dir) +
                             "\n"
                             "train=$(sbatch --parsable " +
                             quote(o.name + ".train.sbatch") +
                             ")\n"
                             "shards=$(sbatch --parsable --dependency=afterok:\"$train\" " +
                             quote(o.name + ".shards.sbatch") +
                             ")\n"
                             "merge=$(sbatch --parsable --dependency=afterok:\"$shards\" " +
                             quote(o.name + ".merge.sbatch") +
                             ")\n"
                             "echo \"queued: train $train, shards $shards (" +
                             n + " tasks), merge $merge\"\n";
  const std::vector<std::pair<std::string, std::string>> files = {{stem + ".train.sbatch", train},
                                                                  {stem + ".shards.sbatch", shards},
                                                                  {stem + ".merge.sbatch", merge},
                                                                  {stem + ".submit.sh", submit}};
  std::vector<std::string> paths;
  for (const auto& [path, text] : files) {
    write_file(path, text, path == stem + ".submit.sh");
    paths.push_back(path);
  }
  return paths;
}

}  // namespace faultscape
