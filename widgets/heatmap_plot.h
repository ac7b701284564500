// Layer x channel sensitivity heat map from stuck-sweep trials: each cell is the worst accuracy
// drop (points below error-free) over the stuck values tried on that channel of that layer. Rows
// are layers in network order; a layer with fewer channels leaves its extra cells empty.
#pragma once
#include <nlohmann/json.hpp>

#include <QMap>
#include <QVector>

#include "plot_view.h"

class QCPColorMap;
class QCPColorScale;

namespace faultscape::widgets {

class HeatmapPlot : public PlotView {
  Q_OBJECT
 public:
  explicit HeatmapPlot(QWidget* parent = nullptr);
  QString stem() const override { return "heatmap"; }
  void clear() override;
  CsvTable table() const override;
  int point_count() const override;

  // Trials with params {"layer", "stage", "channel"} and metrics {"drop"}; others are ignored.
  void add_trials(const nlohmann::json& trials);

 protected:
  void refresh() override;
  QString hover_text(QCPAbstractPlottable* plottable, int index) const override;

 private:
  struct Row {
    QString layer;
    QMap<int, double> drop;  // channel -> worst drop
  };
  QMap<int, Row> rows_;  // by stage
  bool dirty_ = false;
  QCPColorMap* map_;
  QCPColorScale* scale_;
};

}  // namespace faultscape::widgets
