// Routes the engine worker's result batches to the live figures: epochs to the training curves,
// stuck-sweep trials to the FAT scatter and the heat map, BER trials and points to the BER plot,
// finished campaigns to the Pareto plot. Each run is its own series ("<experiment> #<run>").
#pragma once
#include <nlohmann/json.hpp>

#include <QObject>
#include <QString>

#include "common/records.h"

namespace faultscape::widgets {
class BerPlot;
class FatScatterPlot;
class HeatmapPlot;
class ParetoPlot;
class TrainingPlot;
}  // namespace faultscape::widgets

namespace faultscape::gui {

class LivePlots : public QObject {
  Q_OBJECT
 public:
  explicit LivePlots(QObject* parent = nullptr);
  widgets::TrainingPlot* training = nullptr;
  widgets::FatScatterPlot* scatter = nullptr;
  widgets::HeatmapPlot* heatmap = nullptr;
  widgets::BerPlot* ber = nullptr;
  widgets::ParetoPlot* pareto = nullptr;

  // A new run of `experiment` starts: its first epoch / stuck trial replaces the training curve /
  // heat map of the previous run; scatter, BER and Pareto series accumulate.
  void begin(const QString& experiment);
  // The run ended (finished, cancelled or failed): figures waiting for data say so again.
  void end();
  qint64 points_received() const { return points_; }

 public Q_SLOTS:
  void on_results(faultscape::RecordKind kind, const nlohmann::json& records);
  // Training's per-batch progress: the first epoch shows how far it is instead of "No epochs yet".
  void on_progress(const QString& phase, qint64 done, qint64 total, double elapsed_s, const QString& message);

 Q_SIGNALS:
  // The figure that just received data ("training", "fat_scatter", "ber", ...), so the window
  // can bring it forward.
  void figure_active(const QString& name);

 private:
  QString experiment_;
  qint64 run_ = 0;
  bool fresh_training_ = false, fresh_heatmap_ = false;
  qint64 points_ = 0;
};

}  // namespace faultscape::gui
