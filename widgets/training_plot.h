// Training curves: loss (left axis) and train / test accuracy (right axis) per epoch, from the
// engine's "epoch" records ({"epoch", "loss", "train_accuracy", "test_accuracy", ...}).
#pragma once
#include <nlohmann/json.hpp>

#include <QVector>

#include "plot_view.h"

class QCPGraph;

namespace faultscape::widgets {

class TrainingPlot : public PlotView {
  Q_OBJECT
 public:
  explicit TrainingPlot(QWidget* parent = nullptr);
  QString stem() const override { return "training"; }
  void clear() override;
  CsvTable table() const override;
  int point_count() const override { return epochs_.size(); }

  void add_epoch(const nlohmann::json& record);
  // While the first epoch trains (nothing to plot yet), how far it is, in the figure's middle;
  // total <= 0 restores the idle text.
  void show_progress(qint64 batches_done, qint64 batches_total, const QString& message);

 protected:
  void refresh() override;
  QString hover_text(QCPAbstractPlottable* plottable, int index) const override;

 private:
  struct Epoch {
    double epoch, loss, train, test;
  };
  QVector<Epoch> epochs_;
  int pushed_ = 0;  // epochs already handed to the graphs
  QCPGraph *loss_, *train_, *test_;
};

}  // namespace faultscape::widgets
