#include "probability_plot.h"

#include <qcustomplot.h>

#include "palette.h"

namespace faultscape::widgets {

ProbabilityPlot::ProbabilityPlot(QWidget* parent) : PlotView(tr("Class probabilities"), parent) {
  style_plot(plot(), title(), tr("class"), tr("probability"));
  golden_bars_ = new QCPBars(plot()->xAxis, plot()->yAxis);
  faulty_bars_ = new QCPBars(plot()->xAxis, plot()->yAxis);
  golden_bars_->setName(tr("golden"));
  faulty_bars_->setName(tr("faulty"));
  golden_bars_->setBrush(series_color(0));
  faulty_bars_->setBrush(series_color(5));
  golden_bars_->setPen(QPen(series_color(0).darker(130)));
  faulty_bars_->setPen(QPen(series_color(5).darker(130)));
  auto* group = new QCPBarsGroup(plot());
  for (QCPBars* b : {golden_bars_, faulty_bars_}) {
    b->setWidth(0.38);
    b->setBarsGroup(group);
  }
  plot()->yAxis->setRange(0, 1.05);
  plot()->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
  set_empty_text(tr("Pick an image: its class probabilities appear here"));
}

void ProbabilityPlot::clear() {
  classes_.clear(), golden_.clear(), faulty_.clear();
  dirty_ = true;
  schedule_replot();
}

void ProbabilityPlot::set_probabilities(const QStringList& classes, const QVector<double>& golden,
                                        const QVector<double>& faulty) {
  classes_ = classes, golden_ = golden, faulty_ = faulty;
  dirty_ = true;
  schedule_replot();
}

void ProbabilityPlot::refresh() {
  if (!dirty_) return;
  dirty_ = false;
  QVector<double> x;
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  for (int i = 0; i < golden_.size(); ++i) {
    x << i;
    ticker->addTick(i, i < classes_.size() ? classes_[i] : QString::number(i));
  }
  golden_bars_->setData(x, golden_, true);
  faulty_bars_->setData(x, faulty_.size() == golden_.size() ? faulty_ : QVector<double>(golden_.size(), 0.0), true);
  plot()->xAxis->setTicker(ticker);
  plot()->xAxis->setTickLabelRotation(golden_.size() > 5 ? 40 : 0);
  plot()->xAxis->setRange(-0.6, std::max(0.6, golden_.size() - 0.4));
}

QString ProbabilityPlot::hover_text(QCPAbstractPlottable* plottable, int index) const {
  if (index < 0 || index >= golden_.size()) return {};
  const QString name = index < classes_.size() ? classes_[index] : QString::number(index);
  const double p = plottable == faulty_bars_ && index < faulty_.size() ? faulty_[index] : golden_[index];
  return tr("%1 (%2)\n%3 %4")
      .arg(name)
      .arg(index)
      .arg(plottable == faulty_bars_ ? tr("faulty") : tr("golden"))
      .arg(p, 0, 'f', 4);
}

CsvTable ProbabilityPlot::table() const {
  CsvTable t;
  t.header = {"class", "name", "golden", "faulty"};
  for (int i = 0; i < golden_.size(); ++i)
    t.add({QString::number(i), i < classes_.size() ? classes_[i] : QString::number(i), csv_number(golden_[i]),
           i < faulty_.size() ? csv_number(faulty_[i]) : QString()});
  return t;
}

}  // namespace faultscape::widgets
