// Accuracy under faults against protection overhead. The non-dominated points (no other point is
// at least as cheap and at least as accurate, and strictly better in one) form the Pareto front,
// drawn as a staircase; dominated points can be hidden. Clicking a point names its run.
#pragma once
#include <QVector>

#include "plot_view.h"

class QCPGraph;
class QCheckBox;

namespace faultscape::widgets {

struct ParetoPoint {
  QString label;        // scheme / configuration, shown on hover
  qint64 run = 0;       // the run that measured it (0: none)
  double cost = 1;      // overhead, normalised to the unprotected network (minimised)
  double accuracy = 0;  // accuracy under faults, % (maximised)
};

// Indices of the non-dominated points, by increasing cost. Equal points are all on the front.
QVector<int> pareto_front(const QVector<ParetoPoint>& points);

class ParetoPlot : public PlotView {
  Q_OBJECT
 public:
  explicit ParetoPlot(QWidget* parent = nullptr);
  QString stem() const override { return "pareto"; }
  void clear() override;
  CsvTable table() const override;
  int point_count() const override { return points_.size(); }

  void add_points(const QVector<ParetoPoint>& points);
  void set_show_dominated(bool show);
  void set_axis_labels(const QString& cost, const QString& accuracy);

 Q_SIGNALS:
  void run_clicked(qint64 run);

 protected:
  void refresh() override;
  QString hover_text(QCPAbstractPlottable* plottable, int index) const override;

 private:
  const ParetoPoint* point_of(QCPAbstractPlottable* p, int index) const;

  QVector<ParetoPoint> points_;
  QVector<int> front_, dominated_;  // indices into points_, in graph order
  bool dirty_ = false, show_dominated_ = true;
  QCPGraph *front_graph_, *dominated_graph_;
  QCheckBox* toggle_;
};

}  // namespace faultscape::widgets
