// What every campaign loop does between its trials, kept in one place: counting trials (resumed
// ones included), the stop check (flushing what was measured first, so a cancel loses nothing),
// progress reports, and the throughput figures of the summary.
#pragma once
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "campaign/campaigns.h"

namespace faultscape {

class CampaignLoop {
 public:
  // phase: the progress phase ("ber-sweep"); total: trials the campaign holds; images per trial.
  CampaignLoop(CampaignIO& io, std::string phase, int64_t total, int64_t images, int64_t full_macs_per_image);

  void set_total(int64_t total) { total_ = total; }
  // `trials` recorded by an earlier attempt count as done, without a stop check or report.
  void resumed(int64_t trials) { done_ += trials; }
  // `trials` more are done (evaluated now or resumed): throws Cancelled when a stop was requested,
  // else reports progress with `message`.
  void advance(int64_t trials, const std::string& message);
  // `trials` of them were evaluated now (here or by another process), executing `executed_macs`
  // multiply-accumulates in all; `counters` says which evaluation paths they took.
  void evaluated(int64_t trials, int64_t executed_macs, const std::map<std::string, int64_t>& counters = {});
  const std::map<std::string, int64_t>& counters() const { return counters_; }

  int64_t done() const { return done_; }
  int64_t evaluated_trials() const { return evaluated_; }
  // evaluated_now, seconds, faulty_inferences_per_second, executed_gflops, effective_gflops.
  void write_throughput(nlohmann::json& summary) const;

 private:
  double elapsed() const;

  CampaignIO& io_;
  std::string phase_;
  int64_t total_, images_, full_macs_;
  int64_t done_ = 0, evaluated_ = 0, executed_macs_ = 0;
  std::map<std::string, int64_t> counters_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace faultscape
