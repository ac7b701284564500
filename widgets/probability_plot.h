// Class probabilities of one image, golden beside faulty (grouped bars), the top-1 of each named
// in the title line. Data: class names and the two probability vectors of an explanation.
#pragma once
#include <QStringList>
#include <QVector>

#include "plot_view.h"

class QCPBars;

namespace faultscape::widgets {

class ProbabilityPlot : public PlotView {
  Q_OBJECT
 public:
  explicit ProbabilityPlot(QWidget* parent = nullptr);
  QString stem() const override { return "probabilities"; }
  void clear() override;
  CsvTable table() const override;
  int point_count() const override { return golden_.size(); }

  void set_probabilities(const QStringList& classes, const QVector<double>& golden, const QVector<double>& faulty);

 protected:
  void refresh() override;
  QString hover_text(QCPAbstractPlottable* plottable, int index) const override;

 private:
  QStringList classes_;
  QVector<double> golden_, faulty_;
  bool dirty_ = true;
  QCPBars *golden_bars_, *faulty_bars_;
};

}  // namespace faultscape::widgets
