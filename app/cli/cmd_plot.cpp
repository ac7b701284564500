// plot: stored runs -> figures, through the same widgets the workbench shows live.
#include "cli/cmd_plot.h"

#include <QApplication>
#include <QDir>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <memory>

#include "common/error.h"
#include "common/json_parse.h"
#include "figures.h"
#include "presentation.h"
#include "project/project.h"
#include "seed_plot.h"
#include "store/result_store.h"

namespace faultscape::cli {

CLI::App* add_plot_command(CLI::App& app, PlotOptions& o) {
  CLI::App* plot = app.add_subcommand("plot", "render figures of stored runs to PDF + PNG + CSV (headless)");
  plot->add_option("source", o.source,
                   "project JSON file, results .sqlite database, or the seed summary <project>.seeds.json of a "
                   "seed study (error bars over the seeds)")
      ->required();
  plot->add_option("--run", o.runs, "run id (repeatable; default: every train and campaign run)");
  plot->add_option("--figure", o.figure, "auto | training | fat_scatter | heatmap | ber | pareto")
      ->check(CLI::IsMember({"auto", "training", "fat_scatter", "heatmap", "ber", "pareto"}));
  plot->add_option("--out", o.out_dir, "directory for the figures");
  plot->add_option("--width", o.width, "figure width in pixels at 96 DPI (PDF: points)")->check(CLI::Range(200, 8000));
  plot->add_option("--height", o.height, "figure height")->check(CLI::Range(150, 8000));
  plot->add_flag("--presentation", o.presentation, "larger fonts and thicker lines (projectors)");
  plot->add_option("--dpi", o.dpi, "PNG resolution")->check(CLI::Range(72, 1200));
  return plot;
}

bool figures_available() { return true; }

namespace {

// Qt's offscreen application for rendering, made once per process (run --plot draws the runs'
// figures, then the seed figures) and deliberately never destroyed: a static QApplication would be
// torn down after Qt's own statics at exit.
void ensure_application() {
  if (QApplication::instance()) return;
  // Headless unless the caller chose a platform explicitly.
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  static int argc = 1;
  static char name[] = "faultscape-cli";
  static char* argv[] = {name, nullptr};
  new QApplication(argc, argv);
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

nlohmann::json plot_seed_summary(const GlobalOptions& g, const nlohmann::json& summary, const PlotOptions& o) {
  ensure_application();
  widgets::set_presentation(o.presentation);
  const widgets::ExportOptions size{o.width, o.height, o.dpi};
  nlohmann::json files = nlohmann::json::array(), drawn = nlohmann::json::array();
  std::filesystem::create_directories(o.out_dir);
  for (const QString& metric : widgets::SeedPlot::metrics_of(summary)) {
    widgets::SeedPlot view(metric);
    view.resize(o.width, o.height);
    view.set_summary(summary);
    if (view.point_count() == 0) continue;
    const QString base = QDir(QString::fromStdString(o.out_dir)).filePath(view.stem());
    QString error;
    const QStringList written = view.export_figure(base, size, &error);
    if (written.isEmpty()) throw StoreError(error.toStdString());
    for (const QString& w : written) {
      files.push_back(w.toStdString());
      if (!g.json) std::printf("%s\n", w.toUtf8().constData());
    }
    drawn.push_back(view.stem().toStdString());
  }
  return {{"command", "plot"}, {"figures", drawn}, {"files", files}};
}

nlohmann::json cmd_plot(const GlobalOptions& g, const PlotOptions& o) {
  if (ends_with(o.source, ".seeds.json")) {
    std::ifstream in(o.source);
    if (!in) throw StoreError(o.source + ": cannot read the seed summary");
    std::ostringstream text;
    text << in.rdbuf();
    nlohmann::json summary;
    try {
      summary = parse_json(text.str());
    } catch (const JsonError& e) {
      throw StoreError(o.source + ": not a seed summary: " + e.what());
    }
    if (!summary.contains("metrics") || !summary["metrics"].is_array())
      throw StoreError(o.source + ": not a seed summary (no \"metrics\" list)");
    nlohmann::json out = plot_seed_summary(g, summary, o);
    out["source"] = o.source;
    return out;
  }
  std::string db = o.source;
  bool presentation = o.presentation;
  if (std::filesystem::path(db).extension() == ".json") {
    const Project project = load_project(db);
    db = project.database_path();
    presentation = presentation || project.presentation;
  }
  if (!std::filesystem::exists(db)) throw StoreError(db + ": results database does not exist");
  ResultStore store(db, ResultStore::Access::read_only);  // never writes a schema into a foreign file

  // The runs with their data, as the store exports them (the widgets take JSON, not core types).
  nlohmann::json runs = nlohmann::json::array();
  std::vector<RunRow> rows;
  if (o.runs.empty()) {
    for (RunRow& r : store.runs())
      if (r.kind == "train" || r.kind == "stuck_sweep" || r.kind == "ber_sweep") rows.push_back(std::move(r));
  } else {
    for (long long id : o.runs) rows.push_back(store.run(id));
  }
  if (rows.empty()) throw StoreError(db + ": no train or campaign runs to plot");
  for (const RunRow& r : rows) {
    nlohmann::json trials = nlohmann::json::array(), metrics = nlohmann::json::array();
    for (const auto& t : store.trials(r.id)) trials.push_back(to_json(t));
    for (const auto& m : store.metrics(r.id)) metrics.push_back(to_json(m));
    runs.push_back({{"run", to_json(r)}, {"trials", trials}, {"metrics", metrics}});
  }

  ensure_application();
  widgets::set_presentation(presentation);

  QStringList figures;
  if (o.figure == "auto") {
    for (const auto& r : runs)
      for (const QString& f : widgets::figures_for_run(r["run"]))
        if (!figures.contains(f)) figures << f;
    for (const auto& r : runs)
      if (widgets::ParetoPoint p; widgets::pareto_point(r["run"], &p) && !figures.contains("pareto"))
        figures << "pareto";
  } else {
    figures << QString::fromStdString(o.figure);
  }
  // Per-run figures (training curves, heat map) are written once per run, "run<id>_<figure>"; the
  // others gather every selected run in one figure, named after the figure (prefixed with the run
  // when there is only one).
  const widgets::ExportOptions size{o.width, o.height, o.dpi};
  nlohmann::json files = nlohmann::json::array(), drawn = nlohmann::json::array();
  auto render = [&](const QString& f, const nlohmann::json& selected, const std::string& prefix) {
    std::unique_ptr<widgets::PlotView> view(widgets::make_figure(f));
    view->resize(o.width, o.height);
    bool any = false;
    for (const auto& r : selected) any = widgets::feed_run(view.get(), r["run"], r["trials"], r["metrics"]) || any;
    if (!any) return false;
    const QString base =
        QDir(QString::fromStdString(o.out_dir)).filePath(QString::fromStdString(prefix) + view->stem());
    QString error;
    QStringList written = view->export_figure(base, size, &error);
    if (written.isEmpty()) throw StoreError(error.toStdString());
    for (const QString& w : written) {
      files.push_back(w.toStdString());
      if (!g.json) std::printf("%s\n", w.toUtf8().constData());
    }
    drawn.push_back(prefix + f.toStdString());
    return true;
  };
  for (const QString& f : figures) {
    bool any = false;
    if (widgets::figure_is_per_run(f)) {
      for (const auto& r : runs)
        any = render(f, nlohmann::json::array({r}), "run" + std::to_string(r["run"].value("id", 0LL)) + "_") || any;
    } else {
      any = render(f, runs, rows.size() == 1 ? "run" + std::to_string(rows.front().id) + "_" : "");
    }
    if (!any && o.figure != "auto")
      throw ConfigError("--figure " + o.figure + ": none of the selected runs can draw it");
  }
  nlohmann::json ids = nlohmann::json::array();
  for (const RunRow& r : rows) ids.push_back(r.id);
  return {{"command", "plot"}, {"database", db}, {"runs", ids}, {"figures", drawn}, {"files", files}};
}

}  // namespace faultscape::cli
