// plot: figures of stored runs rendered headless (QCustomPlot on Qt's offscreen platform) to PDF
// and PNG, each with the CSV of exactly the plotted data.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cli/options.h"

namespace faultscape::cli {

struct PlotOptions {
  std::string source;           // project JSON file, results .sqlite database or seed summary .seeds.json
  std::vector<long long> runs;  // empty: every train and campaign run of the database
  std::string figure = "auto";  // auto | training | fat_scatter | heatmap | ber | pareto
  std::string out_dir = "results/figures";
  int width = 800, height = 560, dpi = 150;
  bool presentation = false;  // larger fonts, thicker lines (also the project's "presentation")
};

// Adds the "plot" subcommand writing its options into `options`.
CLI::App* add_plot_command(CLI::App& app, PlotOptions& options);
nlohmann::json cmd_plot(const GlobalOptions& g, const PlotOptions& options);
// The seed-level figures of a seed summary (study/seed_summary.h): one "seeds_<metric>" figure per
// headline metric, error bars = 95 % CI over the seeds. `plot` calls it for a "*.seeds.json" source.
nlohmann::json plot_seed_summary(const GlobalOptions& g, const nlohmann::json& summary, const PlotOptions& options);
// False in a headless build (FAULTSCAPE_GUI=OFF): no widgets to draw with.
bool figures_available();

}  // namespace faultscape::cli
