// The two campaign schedules (campaign/trial_executor.h). Both record what comes back through the
// campaign's TrialRecorder and CampaignLoop (so a cancel loses nothing and progress is counted),
// skip trials an earlier attempt recorded, and give every chunk the same id in every process.
#pragma once
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "campaign/campaign_loop.h"
#include "campaign/trial_executor.h"

namespace faultscape {

// A fixed list of chunks (stuck sweep: consecutive fault instances of one site).
class FixedSchedule : public TrialSchedule {
 public:
  FixedSchedule(std::vector<TrialChunk> plan, CampaignLoop& loop, TrialRecorder& recorder);
  std::optional<TrialChunk> next() override;
  void complete(const TrialChunk& chunk, ChunkResult result) override;
  bool finished() const override { return outstanding_ == 0 && queue_.empty(); }

 private:
  std::deque<TrialChunk> queue_;
  CampaignLoop& loop_;
  TrialRecorder& recorder_;
  int64_t outstanding_ = 0;
};

// Monte Carlo points (layer group x rate), each `trials` trials long, or adaptive (target_ci > 0):
// trial t >= trials runs only while the 95 % interval of trials 0..t-1 is wider than target_ci, up
// to max_trials. Chunks beyond the fixed part are evaluated speculatively when several processes
// work (at most `workers` chunks ahead); the stopping rule is applied to the results in trial
// order, and trials past the stop are dropped unrecorded, so the trial count and the recorded
// trials are those of one process evaluating one trial after the other.
class BerSchedule : public TrialSchedule {
 public:
  struct Settings {
    int64_t points = 0, trials = 0, max_trials = 0;
    double target_ci = 0;
    int workers = 1;
  };
  BerSchedule(const Settings& settings, CampaignLoop& loop, TrialRecorder& recorder, Observer* observer, double golden);
  std::optional<TrialChunk> next() override;
  void complete(const TrialChunk& chunk, ChunkResult result) override;
  bool finished() const override;
  bool adaptive() const override { return settings_.max_trials > settings_.trials; }

 private:
  struct Point {
    int64_t handed = 0;                   // trials below this were handed out (or recorded earlier)
    int64_t ahead = 0;                    // speculative trials handed out and not yet back
    std::map<int64_t, TrialRow> arrived;  // results not yet taken in trial order
    std::set<int64_t> recorded;           // of those, the ones an earlier attempt recorded
    std::vector<double> accuracy;         // trials 0..n-1 in order
    int64_t stop = -1;                    // the point's trial count, once known
  };
  // Returns how many trials it recorded; `message` receives the last one's progress text.
  int64_t take_in_order(int64_t p, std::string& message);
  void report_finished_points();

  Settings settings_;
  int64_t chunk_;
  CampaignLoop& loop_;
  TrialRecorder& recorder_;
  Observer* observer_;
  double golden_;
  std::vector<Point> points_;
  int64_t reported_ = 0, next_id_ = 0;
};

}  // namespace faultscape
