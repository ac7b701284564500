// Accuracy against fault rate (log scale), one series per scheme or layer: the mean of each rate's
// trials with its 95 % confidence band, plus every trial as a faint dot while the sweep runs.
#pragma once
#include <nlohmann/json.hpp>

#include <QMap>
#include <QPointF>
#include <QVector>

#include "plot_view.h"

class QCPGraph;

namespace faultscape::widgets {

class BerPlot : public PlotView {
  Q_OBJECT
 public:
  explicit BerPlot(QWidget* parent = nullptr);
  QString stem() const override { return "ber"; }
  void clear() override;
  CsvTable table() const override;
  int point_count() const override;

  // A finished rate: {"rate", "trials", "accuracy": {"mean", "ci95", ...}}.
  void add_point(const QString& series, const nlohmann::json& point);
  // Individual trials: {"params": {"rate", ...}, "accuracy"}.
  void add_trials(const QString& series, const nlohmann::json& trials);
  void set_show_trials(bool show);
  // The legend text of a series (a design point's run gets its protection: "... #4 tmr").
  void set_series_title(const QString& series, const QString& title);

 protected:
  void refresh() override;
  QString hover_text(QCPAbstractPlottable* plottable, int index) const override;

 private:
  struct Point {
    double rate, mean, ci95;
    int trials;
  };
  struct Series {
    QMap<double, Point> points;       // by rate
    QVector<QPointF> pending_trials;  // (rate, accuracy) not yet in the graph
    QVector<QPointF> trials;          // everything plotted (CSV)
    QCPGraph *mean = nullptr, *upper = nullptr, *lower = nullptr, *dots = nullptr;
    bool points_dirty = false;
  };
  Series& series(const QString& name);

  QMap<QString, Series> series_;
  QStringList order_;
  bool show_trials_ = true;
};

}  // namespace faultscape::widgets
