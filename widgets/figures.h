// Stored runs -> figures. The GUI's results browser and `faultscape-cli plot` both draw a run of
// the results database through these functions, from the JSON the store exports
// (run: to_json(RunRow), trials: [to_json(TrialRow)], metrics: [to_json(MetricRow)]).
#pragma once
#include <nlohmann/json.hpp>

#include <QStringList>

#include "pareto_plot.h"
#include "plot_view.h"

namespace faultscape::widgets {

// Figure names: "training", "fat_scatter", "heatmap", "ber", "pareto".
QStringList figure_names();
// A new, empty figure of that name; nullptr for an unknown name.
PlotView* make_figure(const QString& name, QWidget* parent = nullptr);
// The figures that can draw a run of this kind ("train" -> training, "stuck_sweep" -> fat_scatter
// and heatmap, "ber_sweep" -> ber).
QStringList figures_for_run(const nlohmann::json& run);
// Figures that show one run at a time (training curves, heat map): feeding one replaces its data.
// The others (scatter, BER, Pareto) gather several runs as series or points.
bool figure_is_per_run(const QString& name);
// The series label of a run in legends: "<experiment> #<id>".
QString run_label(const nlohmann::json& run);
// Adds one run's data to a figure made by make_figure (a figure that cannot draw it is untouched).
// Returns whether anything was added.
bool feed_run(PlotView* view, const nlohmann::json& run, const nlohmann::json& trials, const nlohmann::json& metrics);
// The protection of a protection grid's design point ("tmr", "none", ...) from its campaign
// summary; empty for other runs.
QString grid_point_label(const nlohmann::json& summary);
// A finished campaign run as Pareto points: a stuck-at sweep gives one, its worst case (FAT paper,
// Fig. 9); a BER sweep one per rate, its mean accuracy at that rate (an older summary without
// per-rate points: its mean over the rates). Cost = summary.overhead.hardware_cost or
// summary.protection.overhead.hardware_cost (or .cost, .params_ratio) when a protection recorded
// one, else 1 (unprotected). Empty for runs without a campaign summary.
QVector<ParetoPoint> pareto_points(const nlohmann::json& run);
// The first of pareto_points (false when there is none).
bool pareto_point(const nlohmann::json& run, ParetoPoint* out);

}  // namespace faultscape::widgets
