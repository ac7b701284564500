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

double number_or(const json& j, const char* key, double fallback) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

// The overhead key of the run's Pareto cost objective ("overhead/unrolled_cost:min" in
// campaign.pareto -> "unrolled_cost"); the mixed hardware_cost when the run names none.
std::string cost_key(const json& run) {
  const json config = run.value("config", json::object());
  const json campaign = config.is_object() ? config.value("campaign", json::object()) : json::object();
  const std::string pareto = campaign.is_object() && campaign.contains("pareto") && campaign["pareto"].is_string()
                                 ? campaign["pareto"].get<std::string>()
                                 : "";
  const std::string prefix = "overhead/";
  const size_t at = pareto.find(prefix);
  if (at == std::string::npos) return "hardware_cost";
  const size_t end = pareto.find_first_of(":,", at);
  return pareto.substr(at + prefix.size(), end == std::string::npos ? std::string::npos : end - at - prefix.size());
}

// The protection's overhead recorded in a campaign summary (an empty object when none).
json overhead_of(const json& summary) {
  // Campaign summaries of protected networks hold it under protection.overhead.
  json overhead = summary.value("overhead", json::object());
  if (overhead.empty() && summary.contains("protection") && summary["protection"].is_object())
    overhead = summary["protection"].value("overhead", json::object());
  return overhead.is_object() ? overhead : json::object();
}

// The protection's hardware cost in a campaign summary; 1 (unprotected) when none.
double overhead_cost(const json& overhead) {
  for (const char* key : {"hardware_cost", "cost", "params_ratio"})
    if (overhead.contains(key) && overhead[key].is_number()) return overhead[key].get<double>();
  return 1;
}

}  // namespace

QString grid_point_label(const json& summary) {
  // A design point of a protection grid names its protection in the summary only.
  const json grid = summary.is_object() ? summary.value("grid_point", json::object()) : json::object();
  return grid.is_object() && grid.contains("label") && grid["label"].is_string()
             ? QString::fromStdString(grid["label"].get<std::string>())
             : QString();
}

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
    if (const QString point = grid_point_label(summary); !point.isEmpty())
      b->set_series_title(series("all"), series("all") + " " + point);
    return !trials.empty();
  }
  if (auto* p = qobject_cast<ParetoPlot*>(view)) {
    const QVector<ParetoPoint> points = pareto_points(run);
    p->add_points(points);
    return !points.isEmpty();
  }
  return false;
}

QVector<ParetoPoint> pareto_points(const json& run) {
  const json summary = run.value("summary", json());
  const std::string kind = run.value("kind", "");
  if (!summary.is_object() || (kind != "stuck_sweep" && kind != "ber_sweep")) return {};
  ParetoPoint base;
  base.run = run.value("id", 0LL);
  // FAT Fig. 9's cost when the run's objective names it: its points form their own front, on
  // their own axis. An unprotected run records no overhead: cost 1 in either unit.
  const json overhead = overhead_of(summary);
  const bool unrolled = cost_key(run) == "unrolled_cost" && (overhead.empty() || overhead.contains("unrolled_cost"));
  base.cost = unrolled && overhead.contains("unrolled_cost") && overhead["unrolled_cost"].is_number()
                  ? overhead["unrolled_cost"].get<double>()
                  : overhead_cost(overhead);
  const QString cost_suffix = unrolled ? QObject::tr(", unrolled cost") : QString();
  if (unrolled) base.cost_name = QObject::tr("hardware cost of the unrolled network: PEs + voters (x unprotected)");
  const QString scheme =
      QString::fromStdString(run.value("config", json::object()).value("protection", json::array()).dump());
  base.label = run_label(run) + (scheme == "[]" || scheme == "null" ? "" : " " + scheme);
  if (const QString point = grid_point_label(summary); !point.isEmpty()) base.label += " " + point;
  QVector<ParetoPoint> out;
  if (kind == "stuck_sweep") {
    // Judged by the worst single fault (FAT paper, Fig. 9).
    const double worst = number_or(summary, "min", number_or(summary, "mean", -1));
    if (worst < 0) return {};
    base.accuracy = worst;
    base.measure = QObject::tr("worst single stuck-at fault") + cost_suffix;
    base.label += QObject::tr(" stuck-at sweep");
    out << base;
    return out;
  }
  const json points = summary.value("points", json::array());
  for (const auto& p : points.is_array() ? points : json::array()) {
    // Per-layer groups of a per_layer sweep are not the network's accuracy under faults anywhere.
    if (!p.is_object() || p.value("layer", "all") != "all") continue;
    const double rate = number_or(p, "rate", 0), mean = number_or(p.value("accuracy", json()), "mean", -1);
    if (rate <= 0 || mean < 0) continue;
    ParetoPoint pt = base;
    pt.accuracy = mean;
    pt.rate = rate;
    pt.measure = QObject::tr("mean at BER %1").arg(rate_text(rate)) + cost_suffix;
    pt.label += QObject::tr(" at BER %1").arg(rate_text(rate));
    out << pt;
  }
  if (out.isEmpty() && number_or(summary, "mean", -1) >= 0) {  // an older summary: the mean over its rates
    base.accuracy = number_or(summary, "mean", -1);
    base.measure = QObject::tr("mean over a BER sweep's rates") + cost_suffix;
    out << base;
  }
  return out;
}

bool pareto_point(const json& run, ParetoPoint* out) {
  const QVector<ParetoPoint> points = pareto_points(run);
  if (points.isEmpty()) return false;
  *out = points.front();
  return true;
}

}  // namespace faultscape::widgets
