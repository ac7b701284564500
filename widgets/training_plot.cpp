#include "training_plot.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

#include "palette.h"

namespace faultscape::widgets {

TrainingPlot::TrainingPlot(QWidget* parent) : PlotView(tr("Training curves"), parent) {
  QCustomPlot* p = plot();
  style_plot(p, title(), tr("epoch"), tr("loss"));
  // Epochs are whole numbers: ticks at integers (multiples of them for long runs).
  auto epochs = QSharedPointer<QCPAxisTickerFixed>::create();
  epochs->setTickStep(1);
  epochs->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  p->xAxis->setTicker(epochs);
  p->yAxis2->setVisible(true);
  p->yAxis2->setLabel(tr("accuracy (%)"));
  auto make = [&](QCPAxis* value_axis, int color, const QString& name, QCPScatterStyle::ScatterShape shape) {
    QCPGraph* g = p->addGraph(p->xAxis, value_axis);
    g->setName(name);
    g->setPen(QPen(series_color(color), 2));
    g->setScatterStyle(QCPScatterStyle(shape, 6));
    return g;
  };
  loss_ = make(p->yAxis, 3, tr("loss"), QCPScatterStyle::ssCircle);
  train_ = make(p->yAxis2, 0, tr("train accuracy"), QCPScatterStyle::ssSquare);
  test_ = make(p->yAxis2, 2, tr("test accuracy"), QCPScatterStyle::ssDiamond);
  p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignRight | Qt::AlignBottom);
  show_progress(0, 0, {});
}

void TrainingPlot::show_progress(qint64 done, qint64 total, const QString& message) {
  if (total <= 0) {
    set_empty_text(
        tr("No epochs yet: Start (F5) trains the selected experiment's model;\n"
           "its loss and accuracy appear here after each epoch"));
    return;
  }
  set_empty_text(tr("Training, %1: batch %2 of %3 (%4 %)\nthe curves start when the first epoch ends")
                     .arg(message)
                     .arg(done)
                     .arg(total)
                     .arg(100.0 * done / total, 0, 'f', 0));
}

void TrainingPlot::clear() {
  epochs_.clear();
  pushed_ = 0;
  for (QCPGraph* g : {loss_, train_, test_}) g->data()->clear();
  schedule_replot();
}

void TrainingPlot::add_epoch(const nlohmann::json& r) {
  epochs_.push_back(
      {r.value("epoch", 0.0), r.value("loss", 0.0), r.value("train_accuracy", 0.0), r.value("test_accuracy", 0.0)});
  schedule_replot();
}

void TrainingPlot::refresh() {
  if (pushed_ == epochs_.size()) return;
  QVector<QCPGraphData> loss, train, test;
  for (int i = pushed_; i < epochs_.size(); ++i) {
    const Epoch& e = epochs_[i];
    loss.push_back({e.epoch, e.loss});
    train.push_back({e.epoch, e.train});
    test.push_back({e.epoch, e.test});
  }
  loss_->data()->add(loss, false);
  train_->data()->add(train, false);
  test_->data()->add(test, false);
  pushed_ = epochs_.size();
  // Explicit ranges, not rescaleAxes: a single epoch has no spread to scale from, and every marker
  // must sit inside the axis rect. Loss from 0 (or its minimum) up; accuracy within 0-100 %.
  double loss_lo = 0, loss_hi = 0, acc_lo = 100, acc_hi = 0;
  for (const Epoch& e : epochs_) {
    if (std::isfinite(e.loss)) loss_lo = std::min(loss_lo, e.loss), loss_hi = std::max(loss_hi, e.loss);
    for (double v : {e.train, e.test})
      if (std::isfinite(v)) acc_lo = std::min(acc_lo, v), acc_hi = std::max(acc_hi, v);
  }
  const double loss_pad = std::max(0.05, 0.12 * (loss_hi - loss_lo));
  plot()->yAxis->setRange(loss_lo < 0 ? loss_lo - loss_pad : 0, loss_hi + loss_pad);
  if (acc_hi < acc_lo) acc_lo = 0, acc_hi = 100;
  const double acc_pad = std::max(2.0, 0.1 * (acc_hi - acc_lo));
  plot()->yAxis2->setRange(std::max(0.0, acc_lo - acc_pad), std::min(100.0, acc_hi + acc_pad) + 1);
  plot()->xAxis->setRange(0.5, std::max(2.0, static_cast<double>(epochs_.size())) + 0.5);
}

QString TrainingPlot::hover_text(QCPAbstractPlottable* p, int index) const {
  auto* g = qobject_cast<QCPGraph*>(p);
  if (!g || index < 0 || index >= g->data()->size()) return {};
  auto it = g->data()->at(index);
  return tr("epoch %1: %2 %3").arg(it->key).arg(g->name()).arg(it->value, 0, 'f', 3);
}

CsvTable TrainingPlot::table() const {
  CsvTable t;
  t.header = {"epoch", "loss", "train_accuracy", "test_accuracy"};
  for (const Epoch& e : epochs_)
    t.add({csv_number(e.epoch), csv_number(e.loss), csv_number(e.train), csv_number(e.test)});
  return t;
}

}  // namespace faultscape::widgets
