#include "pareto_plot.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMap>
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

QString rate_text(double rate) {
  QString mantissa = QString::number(rate, 'e', 2), exponent = mantissa.mid(mantissa.indexOf('e'));
  mantissa = mantissa.left(mantissa.indexOf('e'));
  while (mantissa.contains('.') && (mantissa.endsWith('0') || mantissa.endsWith('.'))) mantissa.chop(1);
  return mantissa + exponent;
}

ParetoPlot::ParetoPlot(QWidget* parent) : PlotView(tr("Accuracy vs overhead (Pareto front)"), parent) {
  style_plot(plot(), title(), tr("hardware cost (x unprotected)"), tr("accuracy under faults (%)"));
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
  measure_box_ = new QComboBox;
  measure_box_->setObjectName("pareto_measure");
  measure_box_->setToolTip(
      tr("Which accuracy under faults is plotted: a stuck-at sweep's worst single fault, or a "
         "BER sweep's mean accuracy at one fault rate (one point per rate and run)"));
  measure_box_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  connect(measure_box_, &QComboBox::activated, this, [this](int i) {
    measure_chosen_ = true;
    set_measure(measure_box_->itemText(i));
  });
  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Accuracy:")));
  controls->addWidget(measure_box_);
  controls->addSpacing(16);
  controls->addWidget(toggle_);
  controls->addStretch(1);
  layout_box()->insertLayout(0, controls);
  set_empty_text(
      tr("No finished campaigns yet: each finished stuck_sweep or ber_sweep adds a point,\n"
         "a protection_grid one per protection (cost 1 = unprotected)"));
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
  measure_.clear();
  measure_chosen_ = false;
  update_measures();
  dirty_ = true;
  schedule_replot();
}

void ParetoPlot::add_points(const QVector<ParetoPoint>& points) {
  points_ += points;
  update_measures();
  dirty_ = true;
  schedule_replot();
}

QStringList ParetoPlot::measures() const {
  // Stuck-at (rate 0) first, then the BER rates ascending.
  QMap<std::pair<double, QString>, bool> seen;
  for (const ParetoPoint& p : points_) seen.insert({p.rate, p.measure}, true);
  QStringList out;
  for (auto it = seen.begin(); it != seen.end(); ++it) out << it.key().second;
  return out;
}

void ParetoPlot::update_measures() {
  const QStringList list = measures();
  if (!measure_chosen_ || !list.contains(measure_)) {
    // The measure with the most points (a design space's rate rather than a lone sweep).
    QMap<QString, int> count;
    for (const ParetoPoint& p : points_) ++count[p.measure];
    QString best;
    for (const QString& m : list)
      if (best.isEmpty() || count[m] >= count[best]) best = m;
    measure_ = best;
    measure_chosen_ = false;
  }
  QStringList items;
  for (int i = 0; i < measure_box_->count(); ++i) items << measure_box_->itemText(i);
  if (items != list) {
    measure_box_->clear();
    measure_box_->addItems(list);
  }
  measure_box_->setCurrentText(measure_);
  measure_box_->setEnabled(list.size() > 1);
  plot()->yAxis->setLabel(measure_.isEmpty() ? tr("accuracy under faults (%)")
                                             : tr("accuracy under faults (%): %1").arg(measure_));
}

void ParetoPlot::set_measure(const QString& measure) {
  if (!measures().contains(measure)) return;
  measure_ = measure;
  measure_chosen_ = true;
  update_measures();
  dirty_ = true;
  schedule_replot();
}

QVector<int> ParetoPlot::shown() const {
  QVector<int> out;
  for (int i = 0; i < points_.size(); ++i)
    if (points_[i].measure == measure_) out.push_back(i);
  return out;
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
  const QVector<int> indices = shown();
  QVector<ParetoPoint> pts;
  for (int i : indices) pts.push_back(points_[i]);
  front_.clear();
  for (int k : pareto_front(pts)) front_.push_back(indices[k]);
  dominated_.clear();
  QVector<bool> on_front(points_.size(), false);
  for (int i : front_) on_front[i] = true;
  for (int i : indices)
    if (!on_front[i]) dominated_.push_back(i);
  std::sort(dominated_.begin(), dominated_.end(), [&](int a, int b) { return points_[a].cost < points_[b].cost; });
  QVector<QCPGraphData> f, d;
  for (int i : front_) f.push_back({points_[i].cost, points_[i].accuracy});
  for (int i : dominated_) d.push_back({points_[i].cost, points_[i].accuracy});
  front_graph_->data()->set(f, true);
  dominated_graph_->data()->set(d, true);
  if (pts.isEmpty()) return;
  // The points of one measure share their cost (figures put the cost into the measure).
  plot()->xAxis->setLabel(pts[0].cost_name.isEmpty() ? tr("hardware cost (x unprotected)") : pts[0].cost_name);
  double x0 = pts[0].cost, x1 = x0, y0 = pts[0].accuracy, y1 = y0;
  for (const ParetoPoint& p : pts) {
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
  return tr("%1%2\ncost %3x, accuracy %4 % (%5)%6")
      .arg(pt->label, pt->run > 0 ? tr(" (run %1)").arg(pt->run) : QString())
      .arg(pt->cost, 0, 'f', 2)
      .arg(pt->accuracy, 0, 'f', 2)
      .arg(pt->measure, p == front_graph_ ? tr("\non the Pareto front") : QString());
}

CsvTable ParetoPlot::table() const {
  CsvTable t;
  t.header = {"label", "run", "measure", "cost", "accuracy", "on_front"};
  const QVector<int> indices = shown();
  QVector<ParetoPoint> pts;
  for (int i : indices) pts.push_back(points_[i]);
  QVector<bool> on_front(pts.size(), false);
  for (int k : pareto_front(pts)) on_front[k] = true;
  for (int k = 0; k < pts.size(); ++k) {
    if (!on_front[k] && !show_dominated_) continue;
    const ParetoPoint& p = pts[k];
    t.add({p.label, QString::number(p.run), p.measure, csv_number(p.cost), csv_number(p.accuracy),
           on_front[k] ? "1" : "0"});
  }
  return t;
}

}  // namespace faultscape::widgets
