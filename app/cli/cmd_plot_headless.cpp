// plot in a headless build (FAULTSCAPE_GUI=OFF): the figures are drawn by the workbench's widgets,
// which this build does not have. The options are the same, so scripts fail with a clear message.
#include "cli/cmd_plot.h"

#include "common/error.h"

namespace faultscape::cli {

CLI::App* add_plot_command(CLI::App& app, PlotOptions& o) {
  CLI::App* plot = app.add_subcommand("plot", "render figures of stored runs (not in this headless build)");
  plot->add_option("source", o.source, "project JSON file or results .sqlite database")->required();
  plot->add_option("--run", o.runs, "run id (repeatable)");
  plot->add_option("--figure", o.figure, "auto | training | fat_scatter | heatmap | ber | pareto");
  plot->add_option("--out", o.out_dir, "directory for the figures");
  plot->add_option("--width", o.width, "figure width");
  plot->add_option("--height", o.height, "figure height");
  plot->add_flag("--presentation", o.presentation, "larger fonts and thicker lines (projectors)");
  plot->add_option("--dpi", o.dpi, "PNG resolution");
  return plot;
}

bool figures_available() { return false; }

nlohmann::json plot_seed_summary(const GlobalOptions& g, const nlohmann::json&, const PlotOptions& o) {
  return cmd_plot(g, o);
}

nlohmann::json cmd_plot(const GlobalOptions&, const PlotOptions&) {
  throw ConfigError(
      "plot: this faultscape-cli was built headless (FAULTSCAPE_GUI=OFF) and has no figures; copy the "
      "results database to a machine with the full build and run `faultscape-cli plot` there, or export its "
      "data with `faultscape-cli export`");
}

}  // namespace faultscape::cli
