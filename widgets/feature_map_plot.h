// Golden, faulty and difference feature maps of one channel of a stage, side by side (golden and
// faulty on one colour scale, the difference on a diverging one centred on 0). A vector stage
// (linear layer) is drawn as one row of features. Data: core's feature_maps_json (explain).
#pragma once
#include <nlohmann/json.hpp>

#include <QVector>

#include "plot_view.h"

class QCPColorMap;
class QCPColorScale;
class QCPAxisRect;

namespace faultscape::widgets {

class FeatureMapPlot : public PlotView {
  Q_OBJECT
 public:
  explicit FeatureMapPlot(QWidget* parent = nullptr);
  QString stem() const override { return "feature_maps"; }
  void clear() override;
  CsvTable table() const override;  // the shown channel: row, column, golden, faulty, difference
  int point_count() const override { return golden_.size(); }

  // {"stage": name, "shape": [C, H, W] or [F], "golden": [...], "faulty": [...]} (one image).
  void set_maps(const nlohmann::json& maps);
  void set_channel(int channel);
  int channel() const { return channel_; }
  int channels() const { return channels_; }
  QString stage() const { return stage_; }
  // The channel whose largest |faulty - golden| is largest (0 when nothing differs).
  int worst_channel() const;

 protected:
  void refresh() override;
  QString hover_text(QCPAbstractPlottable* plottable, int index) const override;

 private:
  double golden_at(int c, int h, int w) const { return golden_[(c * height_ + h) * width_ + w]; }
  double faulty_at(int c, int h, int w) const { return faulty_[(c * height_ + h) * width_ + w]; }

  QString stage_;
  int channels_ = 0, height_ = 0, width_ = 0, channel_ = 0;
  QVector<double> golden_, faulty_;
  bool dirty_ = true;
  QCPAxisRect* rects_[3];
  QCPColorMap* maps_[3];
  QCPColorScale *value_scale_, *diff_scale_;
};

}  // namespace faultscape::widgets
