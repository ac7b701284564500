// explain: one fault on one test image of an experiment, stage by stage, as figures (feature maps,
// error propagation, class probabilities: PDF + PNG) with their CSV and the whole explanation as
// JSON, for papers and slides. A headless build writes the CSV and JSON only, and says so.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cli/options.h"

namespace faultscape::cli {

struct ExplainOptions {
  std::string project_file;
  std::string experiment;  // empty: the project's only (or first) experiment
  long long image = -1;    // test image index
  std::string fault;       // JSON (core/explain/explain_fault.h), or @FILE
  std::string protection;  // JSON array; empty: the experiment's own protection
  std::string out_dir = "results/explain";
  std::string stage;       // feature maps of this stage; empty: the first faulty stage
  long long channel = -1;  // that stage's channel; -1: the one the fault changes most
  bool presentation = false;
  int width = 800, height = 560, dpi = 150;
};

CLI::App* add_explain_command(CLI::App& app, ExplainOptions& options);
nlohmann::json cmd_explain(const GlobalOptions& g, const ExplainOptions& options);

// The figures of an explanation (cmd_explain_figures.cpp; the headless build's version writes
// none and returns an empty list). explanation: Explanation::to_json; maps: feature_maps_json;
// probabilities: {"classes": [...], "golden": [...], "faulty": [...]}. Returns the files written.
std::vector<std::string> write_explain_figures(const nlohmann::json& explanation, const nlohmann::json& maps,
                                               long long channel, const nlohmann::json& probabilities,
                                               const ExplainOptions& options);

}  // namespace faultscape::cli
