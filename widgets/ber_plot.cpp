#include "ber_plot.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QVBoxLayout>
#include <cmath>

#include "palette.h"

namespace faultscape::widgets {

BerPlot::BerPlot(QWidget* parent) : PlotView(tr("Accuracy vs fault rate"), parent) {
  style_plot(plot(), title(), tr("fault rate (bit-error rate)"), tr("accuracy (%)"));
  plot()->xAxis->setScaleType(QCPAxis::stLogarithmic);
  plot()->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
  plot()->xAxis->setNumberFormat("eb");
  plot()->xAxis->setNumberPrecision(0);
  plot()->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignLeft | Qt::AlignBottom);
  auto* box = new QCheckBox(tr("Show individual trials"));
  box->setChecked(true);
  box->setToolTip(tr("Every Monte Carlo trial as a faint dot behind the mean and its 95 % confidence band"));
  connect(box, &QCheckBox::toggled, this, &BerPlot::set_show_trials);
  layout_box()->insertWidget(0, box);
  set_empty_text(
      tr("No BER trials yet: an experiment whose campaign is a ber_sweep fills this\n"
         "(Faults & campaign tab; Run all, Ctrl+F5, runs every experiment)"));
}

BerPlot::Series& BerPlot::series(const QString& name) {
  auto it = series_.find(name);
  if (it != series_.end()) return *it;
  Series s;
  const QColor c = series_color(order_.size());
  QColor band = c;
  band.setAlpha(50);
  s.dots = plot()->addGraph();
  s.dots->setLineStyle(QCPGraph::lsNone);
  QColor dot = c;
  dot.setAlpha(70);
  s.dots->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, dot, 3));
  s.dots->setVisible(show_trials_);
  s.lower = plot()->addGraph();
  s.upper = plot()->addGraph();
  for (QCPGraph* g : {s.lower, s.upper}) g->setPen(Qt::NoPen);
  s.upper->setBrush(band);
  s.upper->setChannelFillGraph(s.lower);
  s.mean = plot()->addGraph();
  s.mean->setName(name);
  s.mean->setPen(QPen(c, 2));
  s.mean->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, c, Qt::white, 6));
  // Only the mean line gets a legend entry; bands and dots share its colour.
  for (QCPGraph* g : {s.dots, s.lower, s.upper}) g->removeFromLegend();
  order_ << name;
  return *series_.insert(name, s);
}

void BerPlot::clear() {
  for (Series& s : series_)
    for (QCPGraph* g : {s.dots, s.lower, s.upper, s.mean}) plot()->removeGraph(g);
  series_.clear();
  order_.clear();
  schedule_replot();
}

void BerPlot::set_show_trials(bool show) {
  show_trials_ = show;
  for (Series& s : series_) s.dots->setVisible(show);
  schedule_replot();
}

void BerPlot::set_series_title(const QString& name, const QString& title) {
  auto it = series_.find(name);
  if (it == series_.end()) return;
  it->mean->setName(title);
  schedule_replot();
}

void BerPlot::add_point(const QString& name, const nlohmann::json& p) {
  const auto& acc = p.value("accuracy", nlohmann::json::object());
  const double rate = p.value("rate", 0.0);
  if (rate <= 0) return;  // no place on a log axis
  Series& s = series(name);
  s.points.insert(rate, {rate, acc.value("mean", 0.0), acc.value("ci95", 0.0), p.value("trials", 0)});
  s.points_dirty = true;
  schedule_replot();
}

void BerPlot::add_trials(const QString& name, const nlohmann::json& trials) {
  Series& s = series(name);
  for (const auto& t : trials) {
    const double rate = t.value("params", nlohmann::json::object()).value("rate", 0.0);
    if (rate > 0 && t.contains("accuracy") && t["accuracy"].is_number())
      s.pending_trials.push_back({rate, t["accuracy"].get<double>()});
  }
  schedule_replot();
}

void BerPlot::refresh() {
  double lo_rate = 0, hi_rate = 0;
  bool any = false;
  for (Series& s : series_) {
    if (!s.pending_trials.isEmpty()) {
      s.trials += s.pending_trials;
      QVector<QCPGraphData> batch;
      batch.reserve(s.pending_trials.size());
      for (const QPointF& t : s.pending_trials) batch.push_back({t.x(), t.y()});
      s.dots->data()->add(batch, false);
      s.pending_trials.clear();
    }
    if (s.points_dirty) {
      QVector<QCPGraphData> mean, upper, lower;
      for (const Point& p : s.points) {
        mean.push_back({p.rate, p.mean});
        upper.push_back({p.rate, std::min(100.0, p.mean + p.ci95)});
        lower.push_back({p.rate, std::max(0.0, p.mean - p.ci95)});
      }
      s.mean->data()->set(mean, true);
      s.upper->data()->set(upper, true);
      s.lower->data()->set(lower, true);
      s.points_dirty = false;
    }
    for (QCPGraph* g : {s.dots, s.mean}) {
      bool found = false;
      QCPRange r = g->getKeyRange(found);
      if (!found) continue;
      lo_rate = any ? std::min(lo_rate, r.lower) : r.lower;
      hi_rate = any ? std::max(hi_rate, r.upper) : r.upper;
      any = true;
    }
  }
  // Whole decades around the rates: the log ticker then puts its ticks (and labels) on powers of
  // ten only, never several "10⁻⁵" on a narrow range.
  if (any)
    plot()->xAxis->setRange(std::pow(10.0, std::floor(std::log10(lo_rate) - 0.3)),
                            std::pow(10.0, std::ceil(std::log10(hi_rate) + 0.3)));
  plot()->yAxis->setRange(0, 101);
}

QString BerPlot::hover_text(QCPAbstractPlottable* p, int index) const {
  for (auto it = series_.begin(); it != series_.end(); ++it) {
    if (p == it->mean && index >= 0 && index < it->points.size()) {
      const Point& pt = *std::next(it->points.begin(), index);
      return tr("%1 at rate %2\naccuracy %3 ± %4 % (95 % CI, %5 trials)")
          .arg(it.key())
          .arg(pt.rate, 0, 'g', 3)
          .arg(pt.mean, 0, 'f', 2)
          .arg(pt.ci95, 0, 'f', 2)
          .arg(pt.trials);
    }
    if (p == it->dots && index >= 0 && index < it->dots->data()->size()) {
      auto d = it->dots->data()->at(index);
      return tr("%1: one trial at rate %2, accuracy %3 %")
          .arg(it.key())
          .arg(d->key, 0, 'g', 3)
          .arg(d->value, 0, 'f', 2);
    }
  }
  return {};
}

int BerPlot::point_count() const {
  int n = 0;
  for (const Series& s : series_) n += s.points.size() + s.trials.size() + s.pending_trials.size();
  return n;
}

CsvTable BerPlot::table() const {
  CsvTable t;
  t.header = {"series", "kind", "rate", "accuracy", "ci95", "lower", "upper", "trials"};
  for (const QString& name : order_) {
    const Series& s = series_[name];
    for (const Point& p : s.points)
      t.add({name, "mean", csv_number(p.rate), csv_number(p.mean), csv_number(p.ci95),
             csv_number(std::max(0.0, p.mean - p.ci95)), csv_number(std::min(100.0, p.mean + p.ci95)),
             QString::number(p.trials)});
    if (show_trials_)
      for (const QPointF& d : s.trials) t.add({name, "trial", csv_number(d.x()), csv_number(d.y()), "", "", "", "1"});
  }
  return t;
}

}  // namespace faultscape::widgets
