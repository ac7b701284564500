#include "heatmap_plot.h"

#include <qcustomplot.h>

#include <cmath>

namespace faultscape::widgets {
namespace {

// Viridis (perceptually uniform, colour-blind safe): low drops dark purple, high drops yellow.
QCPColorGradient viridis() {
  QCPColorGradient g;
  g.clearColorStops();
  g.setColorStopAt(0.0, QColor(68, 1, 84));
  g.setColorStopAt(0.25, QColor(59, 82, 139));
  g.setColorStopAt(0.5, QColor(33, 145, 140));
  g.setColorStopAt(0.75, QColor(94, 201, 98));
  g.setColorStopAt(1.0, QColor(253, 231, 37));
  g.setNanHandling(QCPColorGradient::nhTransparent);
  return g;
}

}  // namespace

HeatmapPlot::HeatmapPlot(QWidget* parent) : PlotView(tr("Layer x channel sensitivity"), parent) {
  style_plot(plot(), title(), tr("channel"), tr("layer"));
  set_legend_allowed(false);
  map_ = new QCPColorMap(plot()->xAxis, plot()->yAxis);
  map_->setName(tr("worst accuracy drop"));
  map_->setInterpolate(false);
  map_->setTightBoundary(false);  // cell centres on integer channel / layer coordinates
  scale_ = new QCPColorScale(plot());
  plot()->plotLayout()->addElement(1, 1, scale_);
  scale_->setLabel(tr("worst accuracy drop (points)"));
  map_->setColorScale(scale_);
  map_->setGradient(viridis());
  auto* group = new QCPMarginGroup(plot());
  plot()->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
  scale_->setMarginGroup(QCP::msBottom | QCP::msTop, group);
  plot()->yAxis->setRangeReversed(true);                                           // first layer on top
  dirty_ = true;                                                                   // the first redraw empties the map
  for (QCPAxis* a : {plot()->xAxis, plot()->yAxis}) a->grid()->setVisible(false);  // cells fill the rect
  set_empty_text(
      tr("No channel stuck-at trials yet: a stuck_sweep with faults at channel granularity\n"
         "fills this, one cell per channel of each layer (its worst accuracy drop)"));
}

void HeatmapPlot::clear() {
  rows_.clear();
  dirty_ = true;
  schedule_replot();
}

void HeatmapPlot::add_trials(const nlohmann::json& trials) {
  for (const auto& t : trials) {
    const auto& p = t.value("params", nlohmann::json::object());
    const auto& m = t.value("metrics", nlohmann::json::object());
    if (!p.contains("channel") || !p.contains("stage") || !m.contains("drop") || !m["drop"].is_number()) continue;
    Row& row = rows_[p["stage"].get<int>()];
    row.layer = QString::fromStdString(p.value("layer", std::string()));
    const int c = p["channel"].get<int>();
    const double drop = m["drop"].get<double>();
    auto it = row.drop.find(c);
    if (it == row.drop.end())
      row.drop.insert(c, drop);
    else
      *it = std::max(*it, drop);
  }
  dirty_ = true;
  schedule_replot();
}

void HeatmapPlot::refresh() {
  if (!dirty_) return;
  dirty_ = false;
  int channels = 1;
  for (const Row& r : rows_)
    if (!r.drop.isEmpty()) channels = std::max(channels, r.drop.lastKey() + 1);
  const int layers = std::max<int>(1, rows_.size());
  QCPColorMapData* d = map_->data();
  d->setSize(channels, layers);
  d->setRange(QCPRange(0, channels - 1), QCPRange(0, layers - 1));
  d->fill(std::nan(""));
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  int y = 0;
  double hi = 0;
  for (const Row& r : rows_) {
    for (auto it = r.drop.begin(); it != r.drop.end(); ++it) {
      d->setCell(it.key(), y, *it);
      hi = std::max(hi, *it);
    }
    ticker->addTick(y, r.layer);
    ++y;
  }
  plot()->yAxis->setTicker(ticker);
  map_->setDataRange(QCPRange(0, std::max(1.0, hi)));
  plot()->xAxis->setRange(-0.5, channels - 0.5);
  plot()->yAxis->setRange(-0.5, layers - 0.5);
}

QString HeatmapPlot::hover_text(QCPAbstractPlottable*, int) const {
  // Cells are located from the mouse position rather than a data index.
  const QPoint pos = plot()->mapFromGlobal(QCursor::pos());
  double key = 0, value = 0;
  map_->pixelsToCoords(pos, key, value);
  const int c = static_cast<int>(std::lround(key)), y = static_cast<int>(std::lround(value));
  if (y < 0 || y >= rows_.size()) return {};
  const Row& r = *std::next(rows_.begin(), y);
  auto it = r.drop.find(c);
  if (it == r.drop.end()) return {};
  return tr("layer %1, channel %2\nworst accuracy drop %3 points").arg(r.layer).arg(c).arg(*it, 0, 'f', 2);
}

int HeatmapPlot::point_count() const {
  int n = 0;
  for (const Row& r : rows_) n += r.drop.size();
  return n;
}

CsvTable HeatmapPlot::table() const {
  CsvTable t;
  t.header = {"stage", "layer", "channel", "worst_drop"};
  for (auto r = rows_.begin(); r != rows_.end(); ++r)
    for (auto it = r->drop.begin(); it != r->drop.end(); ++it)
      t.add({QString::number(r.key()), r->layer, QString::number(it.key()), csv_number(*it)});
  return t;
}

}  // namespace faultscape::widgets
