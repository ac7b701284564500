#include "pareto_plot.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "common/pareto.h"

#include "palette.h"

namespace faultscape::widgets {

QVector<int> pareto_front(const QVector<ParetoPoint>& pts) {
  // Membership from the engine's non-dominated sorting (accuracy maximised, cost minimised), so the
  // figure and the campaign summary never disagree; the order (cheapest first) draws the step line.
  std::vector<std::vector<double>> values;
  QVector<int> finite;
  for (int i = 0; i < pts.size(); ++i)
    if (std::isfinite(pts[i].accuracy) && std::isfinite(pts[i].cost)) {
      values.push_back({pts[i].accuracy, pts[i].cost});
      finite.push_back(i);
    }
  const std::vector<int> ranks = nondominated_ranks(values, {{"accuracy", true}, {"cost", false}});
  QVector<int> front;
  for (size_t k = 0; k < ranks.size(); ++k)
    if (ranks[k] == 0) front.push_back(finite[static_cast<int>(k)]);
  std::sort(front.begin(), front.end(), [&](int a, int b) {
    return pts[a].cost != pts[b].cost ? pts[a].cost < pts[b].cost : pts[a].accuracy > pts[b].accuracy;
  });
  return front;
}

ParetoPlot::ParetoPlot(QWidget* parent) : PlotView(tr("Accuracy vs overhead (Pareto front)"), parent) {
  style_plot(plot(), title(), tr("hardware cost (x unprotected)"),
             tr("accuracy under faults (%; stuck-at: worst case)"));
  dominated_graph_ = plot()->addGraph();
  dominated_graph_->setName(tr("dominated"));
  dominated_graph_->setLineStyle(QCPGraph::lsNone);
  dominated_graph_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, muted_color(), 7));
  front_graph_ = plot()->addGraph();
  front_graph_->setName(tr("Pareto front"));
  front_graph_->setLineStyle(QCPGraph::lsStepLeft);
  front_graph_->setPen(QPen(series_color(3), 2));
  front_graph_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, series_color(3), 9));
  plot()->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignRight | Qt::AlignBottom);
  toggle_ = new QCheckBox(tr("Show dominated points"));
  toggle_->setChecked(true);
  toggle_->setToolTip(tr("Configurations beaten by another one that is at least as cheap and as accurate"));
  connect(toggle_, &QCheckBox::toggled, this, &ParetoPlot::set_show_dominated);
  layout_box()->insertWidget(0, toggle_);
  set_empty_text(tr("No finished campaigns yet: each one adds a point (cost 1 = unprotected)"));
  connect(plot(), &QCustomPlot::plottableClick, this, [this](QCPAbstractPlottable* p, int index, QMouseEvent*) {
    if (const ParetoPoint* pt = point_of(p, index); pt && pt->run > 0) Q_EMIT run_clicked(pt->run);
  });
}

void ParetoPlot::set_axis_labels(const QString& cost, const QString& accuracy) {
  plot()->xAxis->setLabel(cost);
  plot()->yAxis->setLabel(accuracy);
  schedule_replot();
}

void ParetoPlot::clear() {
  points_.clear();
  dirty_ = true;
  schedule_replot();
}

void ParetoPlot::add_points(const QVector<ParetoPoint>& points) {
  points_ += points;
  dirty_ = true;
  schedule_replot();
}

void ParetoPlot::set_show_dominated(bool show) {
  show_dominated_ = show;
  if (toggle_->isChecked() != show) toggle_->setChecked(show);
  dominated_graph_->setVisible(show);
  schedule_replot();
}

void ParetoPlot::refresh() {
  if (!dirty_) return;
  dirty_ = false;
  front_ = pareto_front(points_);
  dominated_.clear();
  QVector<bool> on_front(points_.size(), false);
  for (int i : front_) on_front[i] = true;
  for (int i = 0; i < points_.size(); ++i)
    if (!on_front[i]) dominated_.push_back(i);
  std::sort(dominated_.begin(), dominated_.end(), [&](int a, int b) { return points_[a].cost < points_[b].cost; });
  QVector<QCPGraphData> f, d;
  for (int i : front_) f.push_back({points_[i].cost, points_[i].accuracy});
  for (int i : dominated_) d.push_back({points_[i].cost, points_[i].accuracy});
  front_graph_->data()->set(f, true);
  dominated_graph_->data()->set(d, true);
  if (points_.isEmpty()) return;
  double x0 = points_[0].cost, x1 = x0, y0 = points_[0].accuracy, y1 = y0;
  for (const ParetoPoint& p : points_) {
    x0 = std::min(x0, p.cost), x1 = std::max(x1, p.cost);
    y0 = std::min(y0, p.accuracy), y1 = std::max(y1, p.accuracy);
  }
  const double px = std::max(0.1, (x1 - x0) * 0.08), py = std::max(1.0, (y1 - y0) * 0.08);
  plot()->xAxis->setRange(x0 - px, x1 + px);
  plot()->yAxis->setRange(y0 - py, std::min(100.0 + py, y1 + py));
}

const ParetoPoint* ParetoPlot::point_of(QCPAbstractPlottable* p, int index) const {
  const QVector<int>* list = p == front_graph_ ? &front_ : p == dominated_graph_ ? &dominated_ : nullptr;
  if (!list || index < 0 || index >= list->size()) return nullptr;
  return &points_[(*list)[index]];
}

QString ParetoPlot::hover_text(QCPAbstractPlottable* p, int index) const {
  const ParetoPoint* pt = point_of(p, index);
  if (!pt) return {};
  return tr("%1%2\ncost %3x, accuracy %4 %%5")
      .arg(pt->label, pt->run > 0 ? tr(" (run %1)").arg(pt->run) : QString())
      .arg(pt->cost, 0, 'f', 2)
      .arg(pt->accuracy, 0, 'f', 2)
      .arg(p == front_graph_ ? tr("\non the Pareto front") : QString());
}

CsvTable ParetoPlot::table() const {
  CsvTable t;
  t.header = {"label", "run", "cost", "accuracy", "on_front"};
  QVector<bool> on_front(points_.size(), false);
  for (int i : pareto_front(points_)) on_front[i] = true;
  for (int i = 0; i < points_.size(); ++i) {
    if (!on_front[i] && !show_dominated_) continue;
    const ParetoPoint& p = points_[i];
    t.add({p.label, QString::number(p.run), csv_number(p.cost), csv_number(p.accuracy), on_front[i] ? "1" : "0"});
  }
  return t;
}

}  // namespace faultscape::widgets
