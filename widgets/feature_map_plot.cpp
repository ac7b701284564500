#include "feature_map_plot.h"

#include <qcustomplot.h>

#include <cmath>

namespace faultscape::widgets {
namespace {

QCPColorGradient diverging() {  // blue - white - red, for signed differences
  QCPColorGradient g;
  g.clearColorStops();
  g.setColorStopAt(0.0, QColor(33, 102, 172));
  g.setColorStopAt(0.5, QColor(247, 247, 247));
  g.setColorStopAt(1.0, QColor(178, 24, 43));
  g.setNanHandling(QCPColorGradient::nhNanColor);
  g.setNanColor(QColor(0, 0, 0));
  return g;
}

// Finite min / max of a list (0, 0 when none).
std::pair<double, double> finite_range(const QVector<double>& v) {
  double lo = 0, hi = 0;
  bool any = false;
  for (double x : v)
    if (std::isfinite(x)) {
      lo = any ? std::min(lo, x) : x, hi = any ? std::max(hi, x) : x;
      any = true;
    }
  return {lo, hi};
}

}  // namespace

FeatureMapPlot::FeatureMapPlot(QWidget* parent) : PlotView(tr("Feature maps"), parent) {
  QCustomPlot* p = plot();
  style_plot(p, title(), tr("golden"), tr("row"));
  set_legend_allowed(false);
  // The default axis rect becomes the first of three panels in one row under the title.
  QCPAxisRect* first = p->axisRect();
  p->plotLayout()->take(first);
  auto* row = new QCPLayoutGrid;
  p->plotLayout()->addElement(1, 0, row);
  row->addElement(0, 0, first);
  rects_[0] = first;
  for (int i = 1; i < 3; ++i) {
    rects_[i] = new QCPAxisRect(p);
    row->addElement(0, i + (i == 2 ? 1 : 0), rects_[i]);
  }
  value_scale_ = new QCPColorScale(p);
  diff_scale_ = new QCPColorScale(p);
  row->addElement(0, 2, value_scale_);
  row->addElement(0, 4, diff_scale_);
  value_scale_->setLabel(tr("activation"));
  diff_scale_->setLabel(tr("faulty - golden"));
  QCPColorGradient values(QCPColorGradient::gpGrayscale);
  values.setNanHandling(QCPColorGradient::nhNanColor);
  values.setNanColor(QColor(220, 0, 0));
  const QString names[3] = {tr("golden"), tr("faulty"), tr("difference")};
  auto* margins = new QCPMarginGroup(p);
  for (int i = 0; i < 3; ++i) {
    QCPAxis* x = rects_[i]->axis(QCPAxis::atBottom);
    QCPAxis* y = rects_[i]->axis(QCPAxis::atLeft);
    x->setLabel(names[i]);
    y->setRangeReversed(true);  // row 0 on top, as images are shown
    for (QCPAxis* a : {x, y}) a->grid()->setVisible(false);
    rects_[i]->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    maps_[i] = new QCPColorMap(x, y);
    maps_[i]->setInterpolate(false);
    maps_[i]->setTightBoundary(false);
    maps_[i]->setName(names[i]);
    maps_[i]->setColorScale(i == 2 ? diff_scale_ : value_scale_);
    maps_[i]->setGradient(i == 2 ? diverging() : values);
  }
  value_scale_->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
  diff_scale_->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
  set_empty_text(tr("Pick a stage: its golden and faulty outputs appear here"));
}

void FeatureMapPlot::clear() {
  golden_.clear(), faulty_.clear();
  channels_ = height_ = width_ = channel_ = 0;
  stage_.clear();
  dirty_ = true;
  schedule_replot();
}

void FeatureMapPlot::set_maps(const nlohmann::json& maps) {
  const auto& shape = maps.value("shape", nlohmann::json::array());
  golden_.clear(), faulty_.clear();
  for (const auto& v : maps.value("golden", nlohmann::json::array()))
    golden_ << (v.is_number() ? v.get<double>() : NAN);
  for (const auto& v : maps.value("faulty", nlohmann::json::array()))
    faulty_ << (v.is_number() ? v.get<double>() : NAN);
  stage_ = QString::fromStdString(maps.value("stage", ""));
  // [C, H, W]; a vector [F] is one channel of 1 x F; [C, L] one row per channel.
  channels_ = shape.size() >= 2 ? shape[0].get<int>() : 1;
  height_ = shape.size() >= 3 ? shape[1].get<int>() : 1;
  width_ = shape.empty() ? 0 : shape.back().get<int>();
  if (golden_.size() != channels_ * height_ * width_ || faulty_.size() != golden_.size()) {
    golden_.clear(), faulty_.clear();
    channels_ = height_ = width_ = 0;
  }
  channel_ = std::clamp(channel_, 0, std::max(0, channels_ - 1));
  dirty_ = true;
  schedule_replot();
}

void FeatureMapPlot::set_channel(int channel) {
  channel_ = std::clamp(channel, 0, std::max(0, channels_ - 1));
  dirty_ = true;
  schedule_replot();
}

int FeatureMapPlot::worst_channel() const {
  int best = 0;
  double worst = 0;
  for (int c = 0; c < channels_; ++c)
    for (int h = 0; h < height_; ++h)
      for (int w = 0; w < width_; ++w) {
        const double g = golden_at(c, h, w), f = faulty_at(c, h, w);
        const double d = std::isfinite(f) ? std::abs(f - g) : INFINITY;
        if (d > worst) worst = d, best = c;
      }
  return best;
}

void FeatureMapPlot::refresh() {
  if (!dirty_) return;
  dirty_ = false;
  const int h = std::max(1, height_), w = std::max(1, width_);
  QVector<double> shown_values, shown_diff;
  for (int i = 0; i < 3; ++i) {
    QCPColorMapData* d = maps_[i]->data();
    d->setSize(w, h);
    d->setRange(QCPRange(0, w - 1), QCPRange(0, h - 1));
    d->fill(NAN);
  }
  if (!golden_.isEmpty()) {
    for (int r = 0; r < height_; ++r)
      for (int c = 0; c < width_; ++c) {
        const double g = golden_at(channel_, r, c), f = faulty_at(channel_, r, c);
        maps_[0]->data()->setCell(c, r, g);
        maps_[1]->data()->setCell(c, r, f);
        maps_[2]->data()->setCell(c, r, f - g);
        shown_values << g << f;
        shown_diff << f - g;
      }
  }
  auto [lo, hi] = finite_range(shown_values);
  if (hi <= lo) hi = lo + 1;
  value_scale_->setDataRange(QCPRange(lo, hi));
  auto [dlo, dhi] = finite_range(shown_diff);
  const double m = std::max({std::abs(dlo), std::abs(dhi), 1e-12});
  diff_scale_->setDataRange(QCPRange(-m, m));
  for (int i = 0; i < 3; ++i) {
    maps_[i]->setDataRange(i == 2 ? QCPRange(-m, m) : QCPRange(lo, hi));
    rects_[i]->axis(QCPAxis::atBottom)->setRange(-0.5, w - 0.5);
    rects_[i]->axis(QCPAxis::atLeft)->setRange(-0.5, h - 0.5);
  }
  if (auto* t = qobject_cast<QCPTextElement*>(plot()->plotLayout()->element(0, 0)))
    t->setText(stage_.isEmpty() ? title()
                                : tr("%1 of %2, channel %3 of %4").arg(title(), stage_).arg(channel_).arg(channels_));
}

QString FeatureMapPlot::hover_text(QCPAbstractPlottable* plottable, int) const {
  auto* map = qobject_cast<QCPColorMap*>(plottable);
  if (!map || golden_.isEmpty()) return {};
  const QPoint pos = plot()->mapFromGlobal(QCursor::pos());
  double key = 0, value = 0;
  map->pixelsToCoords(pos, key, value);
  const int c = static_cast<int>(std::lround(key)), r = static_cast<int>(std::lround(value));
  if (c < 0 || c >= width_ || r < 0 || r >= height_) return {};
  const double g = golden_at(channel_, r, c), f = faulty_at(channel_, r, c);
  return tr("channel %1, row %2, column %3\ngolden %4\nfaulty %5\ndifference %6")
      .arg(channel_)
      .arg(r)
      .arg(c)
      .arg(g, 0, 'g', 6)
      .arg(f, 0, 'g', 6)
      .arg(f - g, 0, 'g', 6);
}

CsvTable FeatureMapPlot::table() const {
  CsvTable t;
  t.header = {"channel", "row", "column", "golden", "faulty", "difference"};
  if (golden_.isEmpty()) return t;
  for (int r = 0; r < height_; ++r)
    for (int c = 0; c < width_; ++c) {
      const double g = golden_at(channel_, r, c), f = faulty_at(channel_, r, c);
      t.add({QString::number(channel_), QString::number(r), QString::number(c), csv_number(g), csv_number(f),
             csv_number(f - g)});
    }
  return t;
}

}  // namespace faultscape::widgets
