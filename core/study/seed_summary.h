// Seed-level statistics of a seed study: every experiment's headline metrics (test accuracy, the
// campaign's golden accuracy, a BER sweep's mean accuracy per layer and rate, a stuck sweep's worst
// and mean drop (overall and per layer), a design-space point's mean and minimum accuracy (and, over several BERs, its mean
// accuracy per rate), a pruned network's accuracy before
// fine-tuning and its parameter / MAC ratios) gathered over the training
// seeds, with their mean, standard deviation and 95 % confidence interval of the mean (Student t,
// n - 1 degrees of freedom). Within-run statistics (over fault trials) stay in each run's summary.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "campaign/statistics.h"

namespace faultscape {

// One metric of one experiment, measured once per seed.
struct SeedMetric {
  std::string experiment;
  std::string metric;  // test_accuracy, golden_accuracy, ber_accuracy, stuck_worst_drop, ...
  std::string where;   // the sweep's layer or the design point's label; empty when none
  double rate = 0;     // a BER sweep's fault rate; 0 otherwise
  std::vector<uint64_t> seeds;
  std::vector<double> values;  // values[i] was measured with seeds[i]
  SampleStats stats() const { return sample_stats(values); }
};

// The headline metrics of one experiment's outcome (ExperimentOutcome::to_json()): (metric, where,
// rate, value).
struct HeadlineValue {
  std::string metric, where;
  double rate = 0;
  double value = 0;
};
std::vector<HeadlineValue> headline_metrics(const nlohmann::json& outcome);

class SeedSummary {
 public:
  // Adds the headline metrics of one seed's outcome of `experiment`.
  void add(const std::string& experiment, uint64_t seed, const nlohmann::json& outcome);
  const std::vector<SeedMetric>& metrics() const { return metrics_; }
  bool empty() const { return metrics_.empty(); }
  // {"metrics": [{"experiment", "metric", "where", "rate", "seeds", "values", "n", "mean", "std",
  // "ci95", "min", "max"}]}
  nlohmann::json to_json() const;
  // The same, one row per metric (values and seeds joined with ';'); throws StoreError when the
  // file cannot be written.
  void write_csv(const std::string& path) const;

 private:
  std::vector<SeedMetric> metrics_;  // in the order first seen
};

}  // namespace faultscape
