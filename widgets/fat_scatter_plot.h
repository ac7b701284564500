// The FAT-style scatter (FAT paper, Figs. 3, 6, 7 and 10): for each model (a stuck-sweep run), its error-free
// accuracy on x against the minimum and the maximum accuracy reached under the faults of each layer
// on y. Points far below the diagonal are layers whose faults hurt most.
#pragma once
#include <nlohmann/json.hpp>

#include <QMap>
#include <QVector>

#include "plot_view.h"

class QCPGraph;
class QCPItemStraightLine;

namespace faultscape::widgets {

class FatScatterPlot : public PlotView {
  Q_OBJECT
 public:
  explicit FatScatterPlot(QWidget* parent = nullptr);
  QString stem() const override { return "fat_scatter"; }
  void clear() override;
  CsvTable table() const override;
  int point_count() const override;

  // Error-free accuracy of a series (a run); trials of a series without one are held back.
  void set_golden(const QString& series, double accuracy);
  // Stuck-sweep trial records ({"params": {"layer", "stage", ...}, "accuracy", "metrics": {"drop"}});
  // the first one with a drop sets the series' error-free accuracy when none was given.
  void add_trials(const QString& series, const nlohmann::json& trials);

 protected:
  void refresh() override;
  QString hover_text(QCPAbstractPlottable* plottable, int index) const override;

 private:
  struct Layer {
    QString name;
    int stage = 0;
    double min = 0, max = 0;
    int faults = 0;
  };
  struct Series {
    double golden = -1;
    QMap<int, Layer> layers;  // by stage
    QCPGraph *min_graph = nullptr, *max_graph = nullptr;
  };
  Series& series(const QString& name);
  const Layer* layer_at(QCPAbstractPlottable* p, int index, QString* series_name) const;

  QMap<QString, Series> series_;
  QStringList order_;  // series in arrival order (colour index)
  bool dirty_ = false;
  QCPItemStraightLine* diagonal_;
};

}  // namespace faultscape::widgets
