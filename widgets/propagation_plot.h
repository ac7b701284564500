// How a fault's error spreads through the network: per stage, max |faulty - golden| and the L2 of
// the difference (log scale; a stage without error has no point there) and the share of corrupted
// elements (right axis). Data: the "stages" array of an explanation (core/explain/explainer.h).
#pragma once
#include <nlohmann/json.hpp>

#include "plot_view.h"

class QCPGraph;

namespace faultscape::widgets {

class PropagationPlot : public PlotView {
  Q_OBJECT
 public:
  explicit PropagationPlot(QWidget* parent = nullptr);
  QString stem() const override { return "propagation"; }
  void clear() override;
  CsvTable table() const override;
  int point_count() const override { return static_cast<int>(stages_.size()); }

  // [{"stage", "kind", "max_abs", "l2", "corrupted", "nonfinite", "shape"}], one per stage.
  void set_stages(const nlohmann::json& stages);
  const nlohmann::json& stages() const { return stages_; }

 protected:
  void refresh() override;
  QString hover_text(QCPAbstractPlottable* plottable, int index) const override;

 private:
  nlohmann::json stages_ = nlohmann::json::array();
  bool dirty_ = true;
  QCPGraph *max_abs_, *l2_, *corrupted_;
};

}  // namespace faultscape::widgets
