#include "study/seed_summary.h"

#include <cstdio>
#include <fstream>

#include "common/error.h"

namespace faultscape {
namespace {

using nlohmann::json;

double number(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Quoted when it holds a separator, a quote or a line break (RFC 4180).
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::vector<HeadlineValue> headline_metrics(const json& outcome) {
  std::vector<HeadlineValue> out;
  if (outcome.contains("evaluation") && outcome["evaluation"].is_object())
    out.push_back({"test_accuracy", "", 0, number(outcome["evaluation"], "accuracy")});
  // Pruning (hardening paper, Fig. 5 / Table II): the accuracy right after pruning (the evaluation
  // above is after fine-tuning) and what is left of the parameters and MACs.
  if (outcome.contains("pruning") && outcome["pruning"].is_object()) {
    const json& p = outcome["pruning"];
    const json before = p.value("before", json::object()), pruned = p.value("pruned", json::object());
    out.push_back({"pruned_accuracy", "", 0, number(pruned, "accuracy")});
    if (number(before, "params") > 0)
      out.push_back({"params_ratio", "", 0, number(pruned, "params") / number(before, "params")});
    if (number(before, "macs") > 0)
      out.push_back({"macs_ratio", "", 0, number(pruned, "macs") / number(before, "macs")});
  }
  if (!outcome.contains("campaign") || !outcome["campaign"].is_object()) return out;
  const json& c = outcome["campaign"];
  const std::string kind = c.value("kind", "");
  if (kind == "golden") {
    out.push_back({"golden_accuracy", "", 0, number(c, "accuracy")});
  } else if (kind == "ber_sweep") {
    out.push_back({"golden_accuracy", "", 0, number(c, "golden_accuracy")});
    for (const json& p : c.value("points", json::array()))
      out.push_back({"ber_accuracy", p.value("layer", "all"), number(p, "rate"), number(p["accuracy"], "mean")});
  } else if (kind == "stuck_sweep") {
    out.push_back({"golden_accuracy", "", 0, number(c, "golden_accuracy")});
    out.push_back({"stuck_worst_drop", "", 0, number(c, "worst_drop")});
    out.push_back({"stuck_mean_drop", "", 0, number(c, "mean_drop")});
    // Per layer: the sweep's worst case is often set by one layer (a 1x1 map's "pixel" is the whole
    // layer), and a comparison over the others needs their own rows.
    for (const json& l : c.value("layers", json::array())) {
      out.push_back({"stuck_layer_worst_drop", l.value("layer", ""), 0, number(l, "worst_drop")});
      out.push_back({"stuck_layer_mean_drop", l.value("layer", ""), 0, number(l, "mean_drop")});
    }
  } else if (kind == "protection_grid") {
    for (const json& p : c.value("points", json::array())) {
      const std::string label = p.value("label", "");
      out.push_back({"point_mean_accuracy", label, 0, number(p["accuracy"], "mean")});
      out.push_back({"point_min_accuracy", label, 0, number(p["accuracy"], "min")});
      out.push_back({"point_golden_accuracy", label, 0, number(p, "golden_accuracy")});
      // A BER sweep over several rates: each rate's mean accuracy of the point (the curve per scheme).
      for (const json& r : p["accuracy"].value("per_rate", json::array()))
        out.push_back({"point_ber_accuracy",
                       label + (r.value("layer", "all") == "all" ? "" : " @ " + r.value("layer", "")),
                       number(r, "rate"), number(r, "mean")});
    }
  }
  return out;
}

void SeedSummary::add(const std::string& experiment, uint64_t seed, const json& outcome) {
  for (const HeadlineValue& h : headline_metrics(outcome)) {
    SeedMetric* m = nullptr;
    for (SeedMetric& existing : metrics_)
      if (existing.experiment == experiment && existing.metric == h.metric && existing.where == h.where &&
          existing.rate == h.rate)
        m = &existing;
    if (!m) {
      metrics_.push_back({experiment, h.metric, h.where, h.rate, {}, {}});
      m = &metrics_.back();
    }
    m->seeds.push_back(seed);
    m->values.push_back(h.value);
  }
}

json SeedSummary::to_json() const {
  json list = json::array();
  for (const SeedMetric& m : metrics_) {
    const SampleStats s = m.stats();
    list.push_back({{"experiment", m.experiment},
                    {"metric", m.metric},
                    {"where", m.where},
                    {"rate", m.rate},
                    {"seeds", m.seeds},
                    {"values", m.values},
                    {"n", s.n},
                    {"mean", s.mean},
                    {"std", s.std},
                    {"ci95", s.ci95},
                    {"min", s.min},
                    {"max", s.max}});
  }
  return {{"metrics", list}};
}

void SeedSummary::write_csv(const std::string& path) const {
  std::ofstream out(path);
  if (!out) throw StoreError(path + ": cannot write the seed summary");
  out << "experiment,metric,where,rate,n,mean,std,ci95,min,max,seeds,values\n";
  for (const SeedMetric& m : metrics_) {
    const SampleStats s = m.stats();
    std::string seeds, values;
    for (size_t i = 0; i < m.values.size(); ++i) {
      seeds += (i ? ";" : "") + std::to_string(m.seeds[i]);
      values += (i ? ";" : "") + exact(m.values[i]);
    }
    out << csv_field(m.experiment) << ',' << m.metric << ',' << csv_field(m.where) << ',' << exact(m.rate) << ',' << s.n
        << ',' << exact(s.mean) << ',' << exact(s.std) << ',' << exact(s.ci95) << ',' << exact(s.min) << ','
        << exact(s.max) << ',' << seeds << ',' << values << '\n';
  }
  if (!out) throw StoreError(path + ": cannot write the seed summary");
}

}  // namespace faultscape
