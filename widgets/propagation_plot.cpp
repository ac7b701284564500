#include "propagation_plot.h"

#include <qcustomplot.h>

#include <cmath>

#include "palette.h"

namespace faultscape::widgets {
namespace {

int64_t numel_of(const nlohmann::json& s) {
  int64_t n = 1;
  for (const auto& d : s.value("shape", nlohmann::json::array())) n *= d.get<int64_t>();
  return n;
}

}  // namespace

PropagationPlot::PropagationPlot(QWidget* parent) : PlotView(tr("Error propagation per stage"), parent) {
  style_plot(plot(), title(), tr("stage"), tr("|faulty - golden|"));
  plot()->yAxis->setScaleType(QCPAxis::stLogarithmic);
  plot()->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
  plot()->yAxis->setNumberFormat("eb");
  plot()->yAxis->setNumberPrecision(0);
  plot()->yAxis2->setVisible(true);
  plot()->yAxis2->setLabel(tr("corrupted elements (%)"));
  plot()->yAxis2->setRange(0, 105);
  auto make = [&](QCPAxis* y, int colour, QCPScatterStyle::ScatterShape shape, const QString& name) {
    QCPGraph* g = plot()->addGraph(plot()->xAxis, y);
    g->setName(name);
    g->setPen(QPen(series_color(colour), 2));
    g->setScatterStyle(QCPScatterStyle(shape, 8));
    return g;
  };
  max_abs_ = make(plot()->yAxis, 0, QCPScatterStyle::ssCircle, tr("max |Δ|"));
  l2_ = make(plot()->yAxis, 1, QCPScatterStyle::ssSquare, tr("L2 of Δ"));
  corrupted_ = make(plot()->yAxis2, 2, QCPScatterStyle::ssTriangle, tr("corrupted (%)"));
  corrupted_->setPen(QPen(series_color(2), 1.5, Qt::DashLine));
  plot()->legend->setVisible(true);
  plot()->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
  set_empty_text(tr("Pick a fault: its error per stage appears here"));
}

void PropagationPlot::clear() {
  stages_ = nlohmann::json::array();
  dirty_ = true;
  schedule_replot();
}

void PropagationPlot::set_stages(const nlohmann::json& stages) {
  stages_ = stages.is_array() ? stages : nlohmann::json::array();
  dirty_ = true;
  schedule_replot();
}

void PropagationPlot::refresh() {
  if (!dirty_) return;
  dirty_ = false;
  QVector<double> x, mx, lx, m, l, cx, c;
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  double lo = 1e300, hi = 0;
  for (size_t i = 0; i < stages_.size(); ++i) {
    const auto& s = stages_[i];
    ticker->addTick(static_cast<double>(i), QString::fromStdString(s.value("stage", "")));
    const double a = s.value("max_abs", 0.0), b = s.value("l2", 0.0);
    if (a > 0 && std::isfinite(a)) mx << i, m << a, lo = std::min(lo, a), hi = std::max(hi, a);
    if (b > 0 && std::isfinite(b)) lx << i, l << b, lo = std::min(lo, b), hi = std::max(hi, b);
    const int64_t n = numel_of(s);
    cx << i, c << (n > 0 ? 100.0 * s.value("corrupted", int64_t{0}) / static_cast<double>(n) : 0.0);
  }
  max_abs_->setData(mx, m);
  l2_->setData(lx, l);
  corrupted_->setData(cx, c);
  plot()->xAxis->setTicker(ticker);
  plot()->xAxis->setTickLabelRotation(stages_.size() > 8 ? 45 : 0);
  plot()->xAxis->setRange(-0.5, std::max<double>(0.5, stages_.size() - 0.5));
  if (hi > 0)
    plot()->yAxis->setRange(lo / 3, hi * 3);
  else
    plot()->yAxis->setRange(1e-6, 1);
}

QString PropagationPlot::hover_text(QCPAbstractPlottable* plottable, int index) const {
  auto* g = qobject_cast<QCPGraph*>(plottable);
  if (!g || index < 0 || index >= g->dataCount()) return {};
  const size_t i = static_cast<size_t>(std::lround(g->dataMainKey(index)));
  if (i >= stages_.size()) return {};
  const auto& s = stages_[i];
  return tr("%1 (%2)\nmax |Δ| %3, L2 %4\ncorrupted %5 of %6, NaN/Inf %7")
      .arg(QString::fromStdString(s.value("stage", "")), QString::fromStdString(s.value("kind", "")))
      .arg(s.value("max_abs", 0.0), 0, 'g', 4)
      .arg(s.value("l2", 0.0), 0, 'g', 4)
      .arg(s.value("corrupted", int64_t{0}))
      .arg(numel_of(s))
      .arg(s.value("nonfinite", int64_t{0}));
}

CsvTable PropagationPlot::table() const {
  CsvTable t;
  t.header = {"stage", "kind", "max_abs", "l2", "corrupted", "nonfinite", "numel"};
  for (const auto& s : stages_)
    t.add({QString::fromStdString(s.value("stage", "")), QString::fromStdString(s.value("kind", "")),
           csv_number(s.value("max_abs", 0.0)), csv_number(s.value("l2", 0.0)),
           QString::number(s.value("corrupted", int64_t{0})), QString::number(s.value("nonfinite", int64_t{0})),
           QString::number(numel_of(s))});
  return t;
}

}  // namespace faultscape::widgets
