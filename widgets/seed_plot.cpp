#include "seed_plot.h"

#include <qcustomplot.h>

#include <QMap>
#include <algorithm>
#include <cmath>

#include "palette.h"

namespace faultscape::widgets {
namespace {

// A category's name: the experiment and, on a second line, the layer or design point; only the
// latter when every row is of one experiment.
QString label_of(const nlohmann::json& m, bool one_experiment) {
  const QString experiment = QString::fromStdString(m.value("experiment", ""));
  const std::string where = m.value("where", "");
  if (where.empty() || where == "all") return experiment;
  QString w = QString::fromStdString(where);
  w.remove('"');
  return one_experiment ? w : experiment + "\n" + w;
}

bool is_rate_metric(const QString& metric) { return metric == "ber_accuracy" || metric == "point_ber_accuracy"; }

}  // namespace

SeedPlot::SeedPlot(const QString& metric, QWidget* parent)
    : PlotView(QObject::tr("%1 over training seeds (mean, 95 % CI)").arg(metric), parent), metric_(metric) {
  style_plot(plot(), title(), is_rate_metric(metric) ? tr("fault rate (bit-error rate)") : QString(), metric);
  if (is_rate_metric(metric)) {
    plot()->xAxis->setScaleType(QCPAxis::stLogarithmic);
    plot()->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    plot()->xAxis->setNumberFormat("eb");
    plot()->xAxis->setNumberPrecision(0);
  }
  plot()->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignLeft | Qt::AlignBottom);
  set_legend_allowed(is_rate_metric(metric));  // categories are named on the axis
  set_empty_text(tr("No seed study: a project with \"seeds\" (or run --seeds N) fills this"));
}

QStringList SeedPlot::metrics_of(const nlohmann::json& summary) {
  QStringList out;
  for (const auto& m : summary.value("metrics", nlohmann::json::array())) {
    const QString name = QString::fromStdString(m.value("metric", ""));
    if (!name.isEmpty() && !out.contains(name)) out << name;
  }
  return out;
}

void SeedPlot::clear() {
  rows_.clear();
  plot()->clearPlottables();
  schedule_replot();
}

void SeedPlot::set_summary(const nlohmann::json& summary) {
  rows_.clear();
  QStringList experiments;
  for (const auto& m : summary.value("metrics", nlohmann::json::array()))
    if (QString::fromStdString(m.value("metric", "")) == metric_ &&
        !experiments.contains(QString::fromStdString(m.value("experiment", ""))))
      experiments << QString::fromStdString(m.value("experiment", ""));
  for (const auto& m : summary.value("metrics", nlohmann::json::array())) {
    if (QString::fromStdString(m.value("metric", "")) != metric_) continue;
    Row r;
    r.series = label_of(m, experiments.size() == 1);
    r.rate = m.value("rate", 0.0);
    if (is_rate_metric(metric_) && r.rate <= 0) continue;  // no place on a log axis
    r.mean = m.value("mean", 0.0);
    r.ci95 = m.value("ci95", 0.0);
    for (const auto& v : m.value("values", nlohmann::json::array())) r.values.push_back(v.get<double>());
    rows_.push_back(r);
  }
  dirty_ = true;
  schedule_replot();
}

void SeedPlot::refresh() {
  if (!dirty_) return;
  dirty_ = false;
  plot()->clearPlottables();
  QStringList series;
  for (const Row& r : rows_)
    if (!series.contains(r.series)) series << r.series;
  double lo = 0, hi = 0, lo_x = 0, hi_x = 0;
  bool any = false;
  auto extend = [&](double x, double y) {
    lo = any ? std::min(lo, y) : y;
    hi = any ? std::max(hi, y) : y;
    lo_x = any ? std::min(lo_x, x) : x;
    hi_x = any ? std::max(hi_x, x) : x;
    any = true;
  };
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  for (int s = 0; s < series.size(); ++s) {
    const QColor c = series_color(s);
    QColor dot = c;
    dot.setAlpha(110);
    QVector<double> keys, means, errors, dot_keys, dot_values;
    for (const Row& r : rows_) {
      if (r.series != series[s]) continue;
      const double x = is_rate_metric(metric_) ? r.rate : s;
      keys << x;
      means << r.mean;
      errors << r.ci95;
      extend(x, r.mean - r.ci95);
      extend(x, r.mean + r.ci95);
      for (double v : r.values) {
        dot_keys << x;
        dot_values << v;
        extend(x, v);
      }
    }
    if (!is_rate_metric(metric_)) ticker->addTick(s, series[s]);
    QCPGraph* mean = plot()->addGraph();
    mean->setName(series[s]);
    mean->setPen(is_rate_metric(metric_) ? QPen(c, 2) : QPen(Qt::NoPen));
    mean->setLineStyle(is_rate_metric(metric_) ? QCPGraph::lsLine : QCPGraph::lsNone);
    mean->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, c, Qt::white, 7));
    mean->setData(keys, means);
    auto* bars = new QCPErrorBars(plot()->xAxis, plot()->yAxis);
    bars->removeFromLegend();
    bars->setDataPlottable(mean);
    bars->setData(errors);
    bars->setPen(QPen(c, 1.5));
    QCPGraph* dots = plot()->addGraph();
    dots->removeFromLegend();
    dots->setLineStyle(QCPGraph::lsNone);
    dots->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, dot, 4));
    dots->setData(dot_keys, dot_values);
  }
  if (!is_rate_metric(metric_)) {
    const bool rotated = series.size() > 4;
    plot()->xAxis->setTicker(ticker);
    plot()->xAxis->setTickLabelRotation(rotated ? 60 : 0);
    plot()->xAxis->setRange(-0.6, std::max(0.6, series.size() - 0.4));
    // A label turned 60 degrees runs to the right of its tick; without room there the last ones
    // are not drawn at all.
    QMargins margins = plot()->axisRect()->minimumMargins();
    int widest = 0;
    const QFontMetrics metrics(plot()->xAxis->tickLabelFont());
    for (const QString& label : series)
      for (const QString& line : label.split('\n')) widest = std::max(widest, metrics.horizontalAdvance(line));
    margins.setRight(rotated ? static_cast<int>(widest * std::cos(M_PI / 3)) + 8 : 0);
    plot()->axisRect()->setMinimumMargins(margins);
  } else if (any) {
    plot()->xAxis->setRange(std::pow(10.0, std::floor(std::log10(lo_x) - 0.3)),
                            std::pow(10.0, std::ceil(std::log10(hi_x) + 0.3)));
  }
  if (any) {
    const double pad = std::max(0.5, 0.08 * (hi - lo));
    plot()->yAxis->setRange(lo - pad, hi + pad);
  }
}

CsvTable SeedPlot::table() const {
  CsvTable t;
  t.header = {"series", "rate", "mean", "ci95", "values"};
  for (const Row& r : rows_) {
    QStringList values;
    for (double v : r.values) values << csv_number(v);
    t.add({r.series, csv_number(r.rate), csv_number(r.mean), csv_number(r.ci95), values.join(';')});
  }
  return t;
}

}  // namespace faultscape::widgets
