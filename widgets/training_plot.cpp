#include "training_plot.h"

#include <qcustomplot.h>

#include "palette.h"

namespace faultscape::widgets {

TrainingPlot::TrainingPlot(QWidget* parent) : PlotView(tr("Training curves"), parent) {
  QCustomPlot* p = plot();
  style_plot(p, title(), tr("epoch"), tr("loss"));
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
  set_empty_text(tr("No epochs yet: training curves appear while a model trains"));
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
  plot()->rescaleAxes();
  plot()->xAxis->setRange(0.5, std::max(2.0, static_cast<double>(epochs_.size())) + 0.5);
  plot()->xAxis->ticker()->setTickCount(std::min(10, std::max(2, static_cast<int>(epochs_.size()))));
  plot()->yAxis->scaleRange(1.1, plot()->yAxis->range().center());
  plot()->yAxis2->scaleRange(1.1, plot()->yAxis2->range().center());
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
