// merge and slurm: campaigns split over the tasks of a Slurm array job, joined again.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/terminal_observer.h"
#include "cluster/shards.h"
#include "common/error.h"
#include "project/overrides.h"
#include "project/project.h"

namespace faultscape::cli {

namespace {

// A project file names its database; anything else is taken as the database itself.
std::string database_of(const std::string& out, const GlobalOptions& g, bool output_dir_given) {
  if (std::filesystem::path(out).extension() != ".json") return out;
  Project project = parse_project(read_project_json(out), out);
  if (output_dir_given) project.output_dir = g.output_dir;
  return project.database_path();
}

}  // namespace

nlohmann::json cmd_merge(const GlobalOptions& g, bool output_dir_given, const std::string& out,
                         const std::vector<std::string>& shards) {
  TerminalObserver observer(g.quiet);
  nlohmann::json report = merge_shards(database_of(out, g, output_dir_given), shards, &observer);
  if (!g.json)
    std::printf("merged %zu runs of %d shards into %s\n", report["runs"].size(), report["shards"].get<int>(),
                report["database"].get<std::string>().c_str());
  report["command"] = "merge";
  return report;
}

nlohmann::json cmd_slurm(const GlobalOptions& g, bool output_dir_given, SlurmOptions o) {
  namespace fs = std::filesystem;
  nlohmann::json document = read_project_json(o.project_file);
  Project project = parse_project(document, o.project_file);
  if (output_dir_given) {
    project.output_dir = g.output_dir;
    o.output_dir = fs::absolute(g.output_dir).string();
  }
  o.project_file = fs::absolute(o.project_file).string();
  o.database = fs::absolute(project.database_path()).string();
  if (o.name.empty()) o.name = project.name;
  if (o.out_dir.empty()) o.out_dir = (fs::path(project.output_dir) / project.name / "slurm").string();
  o.out_dir = fs::absolute(o.out_dir).string();
  if (o.cli.empty()) o.cli = fs::read_symlink("/proc/self/exe").string();
  const std::vector<std::string> files = write_slurm_scripts(o);
  if (!g.json) {
    std::printf("Slurm scripts for %s (%d shards):\n", project.name.c_str(), o.array);
    for (const auto& f : files) std::printf("  %s\n", f.c_str());
    std::printf("submit with: bash %s\n", files.back().c_str());
  }
  return {{"command", "slurm"}, {"files", files}, {"submit", files.back()}, {"shards", o.array}};
}

}  // namespace faultscape::cli
