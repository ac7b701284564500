#include "live_plots.h"

#include <map>

#include "ber_plot.h"
#include "fat_scatter_plot.h"
#include "figures.h"
#include "heatmap_plot.h"
#include "pareto_plot.h"
#include "training_plot.h"

namespace faultscape::gui {

using nlohmann::json;

LivePlots::LivePlots(QObject* parent) : QObject(parent) {}

void LivePlots::begin(const QString& experiment) {
  experiment_ = experiment;
  run_ = 0;
  fresh_training_ = fresh_heatmap_ = true;
}

void LivePlots::end() { training->show_progress(0, 0, {}); }

void LivePlots::on_progress(const QString& phase, qint64 done, qint64 total, double, const QString& message) {
  if (phase != "train") return;
  if (fresh_training_) training->clear();  // a new model is training: the last curve is stale
  fresh_training_ = false;
  if (training->point_count() == 0) training->show_progress(done, total, message);
}

void LivePlots::on_results(RecordKind kind, const json& records) {
  if (records.empty()) return;
  if (kind == RecordKind::Epoch) {
    if (fresh_training_) training->clear();  // a run that reuses its model keeps the last curve
    fresh_training_ = false;
    for (const auto& r : records) training->add_epoch(r);
    points_ += records.size();
    Q_EMIT figure_active("training");
  } else if (is_trial(kind)) {
    run_ = records.front().value("run", run_);
    const QString label = experiment_ + " #" + QString::number(run_);
    if (kind == RecordKind::BerTrial) {
      std::map<std::string, json> by_layer;  // a per-layer sweep draws one series per layer
      for (const auto& r : records) by_layer[r.value("params", json::object()).value("layer", "all")].push_back(r);
      for (const auto& [layer, list] : by_layer)
        ber->add_trials(layer == "all" ? label : label + " " + QString::fromStdString(layer), list);
      Q_EMIT figure_active("ber");
    } else {
      scatter->add_trials(label, records);
      if (fresh_heatmap_) heatmap->clear();  // the heat map shows one sweep: the latest
      fresh_heatmap_ = false;
      heatmap->add_trials(records);
      Q_EMIT figure_active("fat_scatter");
    }
    points_ += records.size();
  } else if (kind == RecordKind::BerPoint) {
    const QString label = experiment_ + " #" + QString::number(run_);
    for (const auto& p : records) {
      const std::string layer = p.value("layer", "all");
      ber->add_point(layer == "all" ? label : label + " " + QString::fromStdString(layer), p);
    }
  } else if (kind == RecordKind::Campaign) {
    for (const auto& c : records) {
      json run = {{"id", c.value("run", 0LL)},
                  {"experiment", experiment_.toStdString()},
                  {"kind", c.value("kind", "")},
                  {"summary", c}};
      pareto->add_points(widgets::pareto_points(run));
      if (const QString point = widgets::grid_point_label(c); !point.isEmpty()) {
        const QString label = experiment_ + " #" + QString::number(c.value("run", 0LL));
        ber->set_series_title(label, label + " " + point);
      }
    }
  }
}

}  // namespace faultscape::gui
