#include "fat_scatter_plot.h"

#include <qcustomplot.h>

#include "palette.h"

namespace faultscape::widgets {

FatScatterPlot::FatScatterPlot(QWidget* parent) : PlotView(tr("Error-free vs faulty accuracy per layer"), parent) {
  style_plot(plot(), title(), tr("error-free accuracy (%)"), tr("accuracy under a stuck-at fault (%)"));
  diagonal_ = new QCPItemStraightLine(plot());
  diagonal_->point1->setCoords(0, 0);
  diagonal_->point2->setCoords(100, 100);
  diagonal_->setPen(QPen(muted_color(), 1, Qt::DashLine));
  plot()->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignLeft | Qt::AlignTop);
  set_empty_text(
      tr("No stuck-at trials yet: an experiment whose campaign is a stuck_sweep fills this,\n"
         "one point per layer (its worst and best accuracy under one stuck fault)"));
}

FatScatterPlot::Series& FatScatterPlot::series(const QString& name) {
  auto it = series_.find(name);
  if (it != series_.end()) return *it;
  Series s;
  const QColor c = series_color(order_.size());
  s.max_graph = plot()->addGraph();
  s.max_graph->setName(name + tr(" max"));
  s.max_graph->setLineStyle(QCPGraph::lsNone);
  s.max_graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssTriangle, c, 8));
  s.min_graph = plot()->addGraph();
  s.min_graph->setName(name + tr(" min"));
  s.min_graph->setLineStyle(QCPGraph::lsNone);
  s.min_graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssTriangleInverted, c, c, 8));
  order_ << name;
  return *series_.insert(name, s);
}

void FatScatterPlot::clear() {
  for (Series& s : series_) {
    plot()->removeGraph(s.min_graph);
    plot()->removeGraph(s.max_graph);
  }
  series_.clear();
  order_.clear();
  schedule_replot();
}

void FatScatterPlot::set_golden(const QString& name, double accuracy) {
  series(name).golden = accuracy;
  dirty_ = true;
  schedule_replot();
}

void FatScatterPlot::add_trials(const QString& name, const nlohmann::json& trials) {
  Series& s = series(name);
  for (const auto& t : trials) {
    const auto& params = t.value("params", nlohmann::json::object());
    if (!t.contains("accuracy") || !t["accuracy"].is_number()) continue;
    const int stage = params.value("stage", -1);
    const double acc = t["accuracy"].get<double>();
    // Each trial knows its drop from the error-free accuracy, so a series needs no summary.
    const auto& metrics = t.value("metrics", nlohmann::json::object());
    if (s.golden < 0 && metrics.contains("drop") && metrics["drop"].is_number())
      s.golden = acc + metrics["drop"].get<double>();
    auto it = s.layers.find(stage);
    if (it == s.layers.end()) {
      QString layer = QString::fromStdString(params.value("layer", std::string("all")));
      s.layers.insert(stage, {layer, stage, acc, acc, 1});
    } else {
      it->min = std::min(it->min, acc);
      it->max = std::max(it->max, acc);
      ++it->faults;
    }
  }
  dirty_ = true;
  schedule_replot();
}

void FatScatterPlot::refresh() {
  if (!dirty_) return;
  dirty_ = false;
  // A few points per layer and run: rebuilding them is cheaper than tracking changes.
  double lo = 100, hi = 0;
  for (Series& s : series_) {
    QVector<QCPGraphData> mins, maxs;
    if (s.golden >= 0)
      for (const Layer& l : s.layers) {
        mins.push_back({s.golden, l.min});
        maxs.push_back({s.golden, l.max});
        lo = std::min({lo, l.min, s.golden});
        hi = std::max({hi, l.max, s.golden});
      }
    s.min_graph->data()->set(mins, true);
    s.max_graph->data()->set(maxs, true);
  }
  if (lo > hi) lo = 0, hi = 100;
  const double pad = std::max(2.0, (hi - lo) * 0.08);
  plot()->xAxis->setRange(std::max(0.0, lo - pad), std::min(100.0, hi + pad));
  plot()->yAxis->setRange(std::max(0.0, lo - pad), std::min(100.0, hi + pad));
}

const FatScatterPlot::Layer* FatScatterPlot::layer_at(QCPAbstractPlottable* p, int index, QString* name) const {
  for (auto it = series_.begin(); it != series_.end(); ++it) {
    if ((p == it->min_graph || p == it->max_graph) && index >= 0 && index < it->layers.size()) {
      *name = it.key();
      return &*std::next(it->layers.begin(), index);
    }
  }
  return nullptr;
}

QString FatScatterPlot::hover_text(QCPAbstractPlottable* p, int index) const {
  QString name;
  const Layer* l = layer_at(p, index, &name);
  if (!l) return {};
  return tr("%1, layer %2 (stage %3)\nerror-free %4 %\nunder %5 faults: min %6 %, max %7 %")
      .arg(name, l->name)
      .arg(l->stage)
      .arg(series_[name].golden, 0, 'f', 2)
      .arg(l->faults)
      .arg(l->min, 0, 'f', 2)
      .arg(l->max, 0, 'f', 2);
}

int FatScatterPlot::point_count() const {
  int n = 0;
  for (const Series& s : series_) n += s.golden >= 0 ? 2 * s.layers.size() : 0;
  return n;
}

CsvTable FatScatterPlot::table() const {
  CsvTable t;
  t.header = {"series", "layer", "stage", "error_free_accuracy", "min_accuracy", "max_accuracy", "faults"};
  for (const QString& name : order_) {
    const Series& s = series_[name];
    if (s.golden < 0) continue;
    for (const Layer& l : s.layers)
      t.add({name, l.name, QString::number(l.stage), csv_number(s.golden), csv_number(l.min), csv_number(l.max),
             QString::number(l.faults)});
  }
  return t;
}

}  // namespace faultscape::widgets
