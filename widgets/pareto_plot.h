// Accuracy under faults against protection overhead. The non-dominated points (no other point is
// at least as cheap and at least as accurate, and strictly better in one) form the Pareto front,
// drawn as a staircase; dominated points can be hidden. Clicking a point names its run. Points
// carry what their accuracy measures (a stuck-at sweep's worst case, a BER sweep's mean at one
// rate): one measure is plotted at a time, chosen above the plot, and names the accuracy axis.
#pragma once
#include <QVector>

#include "plot_view.h"

class QCPGraph;
class QCheckBox;
class QComboBox;

namespace faultscape::widgets {

struct ParetoPoint {
  QString label;        // scheme / configuration, shown on hover
  qint64 run = 0;       // the run that measured it (0: none)
  double cost = 1;      // overhead, normalised to the unprotected network (minimised)
  double accuracy = 0;  // accuracy under faults, % (maximised)
  QString measure;      // what `accuracy` is: "worst stuck-at fault", "mean at BER 1e-05", ...
  double rate = 0;      // the BER of a BER sweep's point (orders the measures); 0 otherwise
  QString cost_name;    // the x axis when these points are shown; empty: the mixed hardware cost
};

// "1e-05", "2.5e-05": a fault rate as the Pareto measures and labels write it.
QString rate_text(double rate);

// Indices of the non-dominated points, by increasing cost. Equal points are all on the front.
QVector<int> pareto_front(const QVector<ParetoPoint>& points);

class ParetoPlot : public PlotView {
  Q_OBJECT
 public:
  explicit ParetoPlot(QWidget* parent = nullptr);
  QString stem() const override { return "pareto"; }
  void clear() override;
  CsvTable table() const override;
  int point_count() const override { return shown().size(); }

  void add_points(const QVector<ParetoPoint>& points);
  void set_show_dominated(bool show);
  // The measures present (stuck-at first, then BER rates ascending), and the one plotted. Until
  // the user picks one, the figure plots the measure with the most points.
  QStringList measures() const;
  QString measure() const { return measure_; }
  void set_measure(const QString& measure);
  void set_axis_labels(const QString& cost, const QString& accuracy);

 Q_SIGNALS:
  void run_clicked(qint64 run);

 protected:
  void refresh() override;
  QString hover_text(QCPAbstractPlottable* plottable, int index) const override;

 private:
  const ParetoPoint* point_of(QCPAbstractPlottable* p, int index) const;
  QVector<int> shown() const;  // indices of the points of the plotted measure
  void update_measures();

  QVector<ParetoPoint> points_;
  QVector<int> front_, dominated_;  // indices into points_, in graph order
  bool dirty_ = false, show_dominated_ = true, measure_chosen_ = false;
  QString measure_;
  QCPGraph *front_graph_, *dominated_graph_;
  QCheckBox* toggle_;
  QComboBox* measure_box_;
};

}  // namespace faultscape::widgets
