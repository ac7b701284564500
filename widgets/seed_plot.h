// One headline metric of a seed study over its training seeds: the mean with a 95 % confidence
// interval error bar (Student t over the seeds) and every seed's value as a dot. BER sweeps (and
// design points over several BERs): one series per experiment and layer (or design point) against
// the fault rate (log scale); other metrics: one
// category per experiment (and design point).
#pragma once
#include <nlohmann/json.hpp>

#include <QString>
#include <QStringList>
#include <QVector>

#include "plot_view.h"

namespace faultscape::widgets {

class SeedPlot : public PlotView {
  Q_OBJECT
 public:
  // `metric`: a metric name of the seed summary ("ber_accuracy", "test_accuracy", ...).
  explicit SeedPlot(const QString& metric, QWidget* parent = nullptr);
  QString stem() const override { return "seeds_" + metric_; }
  void clear() override;
  CsvTable table() const override;
  int point_count() const override { return rows_.size(); }

  // The seed summary ({"metrics": [...]}, study/seed_summary.h); keeps this figure's metric.
  void set_summary(const nlohmann::json& summary);

  // The metrics a summary holds, in order of appearance (one figure each).
  static QStringList metrics_of(const nlohmann::json& summary);

 protected:
  void refresh() override;

 private:
  struct Row {
    QString series;  // experiment (and layer / design point)
    double rate = 0;
    double mean = 0, ci95 = 0;
    QVector<double> values;
  };
  QString metric_;
  QVector<Row> rows_;
  bool dirty_ = false;
};

}  // namespace faultscape::widgets
