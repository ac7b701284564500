#include "figures.h"

#include <map>

#include "ber_plot.h"
#include "fat_scatter_plot.h"
#include "heatmap_plot.h"
#include "training_plot.h"

namespace faultscape::widgets {

using nlohmann::json;

QStringList figure_names() { return {"training", "fat_scatter", "heatmap", "ber", "pareto"}; }

PlotView* make_figure(const QString& name, QWidget* parent) {
  if (name == "training") return new TrainingPlot(parent);
  if (name == "fat_scatter") return new FatScatterPlot(parent);
  if (name == "heatmap") return new HeatmapPlot(parent);
  if (name == "ber") return new BerPlot(parent);
  if (name == "pareto") return new ParetoPlot(parent);
  return nullptr;
}

QStringList figures_for_run(const json& run) {
  const std::string kind = run.value("kind", "");
  if (kind == "train") return {"training"};
  if (kind == "stuck_sweep") return {"fat_scatter", "heatmap"};
  if (kind == "ber_sweep") return {"ber"};
  return {};
}

bool figure_is_per_run(const QString& name) { return name == "training" || name == "heatmap"; }

QString run_label(const json& run) {
  return QString::fromStdString(run.value("experiment", "")) + " #" + QString::number(run.value("id", 0LL));
}

namespace {

// Per-epoch metrics ("loss", "train_accuracy", ... with step = epoch) back into epoch records.
json epochs_from_metrics(const json& metrics) {
  std::map<int64_t, json> by_epoch;
  for (const auto& m : metrics) {
    const int64_t step = m.value("step", -1LL);
    if (step < 0 || !m.contains("value") || !m["value"].is_number()) continue;
    json& e = by_epoch[step];
    e["epoch"] = step;
    e[m.value("name", "")] = m["value"];
  }
  json out = json::array();
  for (auto& [step, e] : by_epoch) out.push_back(e);
  return out;
}

double mean_accuracy(const json& summary) {
  if (summary.contains("mean") && summary["mean"].is_number()) return summary["mean"].get<double>();
  if (summary.contains("points") && !summary["points"].empty()) {
    double sum = 0;
    for (const auto& p : summary["points"]) sum += p["accuracy"].value("mean", 0.0);
    return sum / summary["points"].size();
  }
  return summary.value("accuracy", -1.0);
}

}  // namespace

bool feed_run(PlotView* view, const json& run, const json& trials, const json& metrics) {
  const QString label = run_label(run);
  const json summary = run.value("summary", json());
  if (auto* t = qobject_cast<TrainingPlot*>(view)) {
    if (run.value("kind", "") != "train") return false;
    json epochs = epochs_from_metrics(metrics);
    if (!epochs.empty()) t->clear();
    for (const auto& e : epochs) t->add_epoch(e);
    return !epochs.empty();
  }
  if (auto* s = qobject_cast<FatScatterPlot*>(view)) {
    if (run.value("kind", "") != "stuck_sweep") return false;
    s->add_trials(label, trials);
    if (summary.is_object() && summary.contains("golden_accuracy"))
      s->set_golden(label, summary["golden_accuracy"].get<double>());
    return !trials.empty();
  }
  if (auto* h = qobject_cast<HeatmapPlot*>(view)) {
    if (run.value("kind", "") != "stuck_sweep") return false;
    h->clear();
    h->add_trials(trials);
    return h->point_count() > 0;
  }
  if (auto* b = qobject_cast<BerPlot*>(view)) {
    if (run.value("kind", "") != "ber_sweep") return false;
    // One series per layer group of a per-layer sweep, else one per run.
    std::map<std::string, json> by_layer;
    for (const auto& t : trials) {
      const std::string layer = t.value("params", json::object()).value("layer", "all");
      by_layer[layer].push_back(t);
    }
    auto series = [&](const std::string& layer) {
      return layer == "all" ? label : label + " " + QString::fromStdString(layer);
    };
    for (auto& [layer, list] : by_layer) b->add_trials(series(layer), list);
    if (summary.is_object())
      for (const auto& p : summary.value("points", json::array())) b->add_point(series(p.value("layer", "all")), p);
    return !trials.empty();
  }
  if (auto* p = qobject_cast<ParetoPlot*>(view)) {
    ParetoPoint pt;
    if (!pareto_point(run, &pt)) return false;
    p->add_points({pt});
    return true;
  }
  return false;
}

bool pareto_point(const json& run, ParetoPoint* out) {
  const json summary = run.value("summary", json());
  const std::string kind = run.value("kind", "");
  if (!summary.is_object() || (kind != "stuck_sweep" && kind != "ber_sweep")) return false;
  // Stuck-at sweeps are judged by their worst single fault (FAT paper, Fig. 9); BER sweeps by the
  // mean over their trials.
  const double acc = kind == "stuck_sweep" && summary.contains("min") && summary["min"].is_number()
                         ? summary["min"].get<double>()
                         : mean_accuracy(summary);
  if (acc < 0) return false;
  double cost = 1;
  // Campaign summaries of protected networks hold it under protection.overhead.
  json overhead = summary.value("overhead", json::object());
  if (overhead.empty() && summary.contains("protection") && summary["protection"].is_object())
    overhead = summary["protection"].value("overhead", json::object());
  for (const char* key : {"hardware_cost", "cost", "params_ratio"})
    if (overhead.contains(key) && overhead[key].is_number()) {
      cost = overhead[key].get<double>();
      break;
    }
  QString scheme =
      QString::fromStdString(run.value("config", json::object()).value("protection", json::array()).dump());
  out->label = run_label(run) + " " +
               QString::fromStdString(kind == "stuck_sweep" ? "stuck_sweep (worst case)" : kind) +
               (scheme == "[]" || scheme == "null" ? "" : " " + scheme);
  out->run = run.value("id", 0LL);
  out->cost = cost;
  out->accuracy = acc;
  return true;
}

}  // namespace faultscape::widgets
