#include "campaign/schedules.h"

#include <algorithm>

#include "campaign/statistics.h"
#include "campaign/summaries.h"

namespace faultscape {
namespace {

std::string progress_message(const TrialRow& row) {
  return row.params.value("layer", "all") + " rate " + std::to_string(row.params.value("rate", 0.0));
}

}  // namespace

FixedSchedule::FixedSchedule(std::vector<TrialChunk> plan, CampaignLoop& loop, TrialRecorder& recorder)
    : loop_(loop), recorder_(recorder) {
  for (TrialChunk& chunk : plan) {
    std::vector<int64_t> pending;
    for (int64_t t : chunk.trials)
      if (recorder.existing(t))
        loop.resumed(1);
      else
        pending.push_back(t);
    if (pending.empty()) continue;
    chunk.trials = std::move(pending);
    queue_.push_back(std::move(chunk));
  }
}

std::optional<TrialChunk> FixedSchedule::next() {
  if (queue_.empty()) return std::nullopt;
  TrialChunk chunk = std::move(queue_.front());
  queue_.pop_front();
  ++outstanding_;
  return chunk;
}

void FixedSchedule::complete(const TrialChunk& chunk, ChunkResult result) {
  --outstanding_;
  loop_.evaluated(static_cast<int64_t>(result.rows.size()), result.executed_macs, result.counters);
  for (TrialRow& row : result.rows) recorder_.add(std::move(row));
  loop_.advance(static_cast<int64_t>(chunk.trials.size()),
                std::to_string(loop_.done() + chunk.trials.size()) + " faults");
}

BerSchedule::BerSchedule(const Settings& s, CampaignLoop& loop, TrialRecorder& recorder, Observer* observer,
                         double golden)
    : settings_(s), loop_(loop), recorder_(recorder), observer_(observer), golden_(golden), points_(s.points) {
  // One trial at a time alone (nothing is ever evaluated in vain); a few per message otherwise.
  chunk_ = s.workers > 1 ? std::clamp<int64_t>(s.trials / (4 * s.workers), 1, 16) : 1;
  for (int64_t p = 0; p < s.points; ++p) {
    for (int64_t t = 0; t < s.max_trials; ++t)
      if (const TrialRow* row = recorder.existing(ber_trial_index(p, t))) {
        points_[p].arrived[t] = *row;
        points_[p].recorded.insert(t);
        loop.resumed(1);
      }
    std::string unused;
    take_in_order(p, unused);
  }
  report_finished_points();
}

std::optional<TrialChunk> BerSchedule::next() {
  const int64_t per_point = (settings_.trials + chunk_ - 1) / chunk_;  // fixed chunks of a point
  for (int64_t p = 0; p < settings_.points; ++p) {
    Point& pt = points_[p];
    while (pt.stop < 0) {
      const bool fixed = pt.handed < settings_.trials;
      const int64_t end = fixed ? settings_.trials : settings_.max_trials;
      if (pt.handed >= end || (!fixed && pt.ahead >= chunk_ * settings_.workers)) break;  // wait for results
      // Fixed chunks are numbered by their place in the plan (shards pick them by id).
      TrialChunk chunk{fixed ? p * per_point + pt.handed / chunk_ : settings_.points * per_point + next_id_, p, {}};
      const int64_t stop = std::min(end, fixed ? (pt.handed / chunk_ + 1) * chunk_ : pt.handed + chunk_);
      for (; pt.handed < stop; ++pt.handed)
        if (!pt.recorded.count(pt.handed)) chunk.trials.push_back(ber_trial_index(p, pt.handed));
      if (chunk.trials.empty()) continue;  // recorded by an earlier attempt
      if (!fixed) {
        pt.ahead += static_cast<int64_t>(chunk.trials.size());
        ++next_id_;
      }
      return chunk;
    }
  }
  return std::nullopt;
}

void BerSchedule::complete(const TrialChunk& chunk, ChunkResult result) {
  Point& pt = points_[chunk.point];
  loop_.evaluated(static_cast<int64_t>(result.rows.size()), result.executed_macs, result.counters);
  int64_t recorded = 0;
  std::string message;
  for (TrialRow& row : result.rows) {
    const int64_t t = row.trial - ber_trial_index(chunk.point, 0);
    if (t >= settings_.trials) {  // speculative until the stopping rule has seen the trials before it
      --pt.ahead;
      pt.arrived[t] = std::move(row);
      continue;
    }
    pt.recorded.insert(t);  // always part of the point: recorded now
    message = progress_message(row);
    pt.arrived[t] = row;
    recorder_.add(std::move(row));
    ++recorded;
  }
  recorded += take_in_order(chunk.point, message);
  report_finished_points();
  loop_.advance(recorded, message);  // after recording: a stop requested here loses nothing
}

// Takes the point's results in trial order as far as they are contiguous, deciding before each
// trial past the fixed part whether the point goes on (the stopping rule of one process).
int64_t BerSchedule::take_in_order(int64_t p, std::string& message) {
  Point& pt = points_[p];
  int64_t recorded = 0;
  while (pt.stop < 0) {
    const int64_t t = static_cast<int64_t>(pt.accuracy.size());
    if (t >= settings_.max_trials ||
        (t >= settings_.trials && 2 * sample_stats(pt.accuracy).ci95 <= settings_.target_ci)) {
      pt.stop = t;
      pt.arrived.clear();  // speculative trials past the stop: evaluated, never recorded
      break;
    }
    auto it = pt.arrived.find(t);
    if (it == pt.arrived.end()) break;
    pt.accuracy.push_back(it->second.accuracy);
    if (!pt.recorded.count(t)) {  // an adaptive trial the rule has kept
      message = progress_message(it->second);
      recorder_.add(std::move(it->second));
      ++recorded;
    }
    pt.arrived.erase(it);
  }
  pt.handed = std::max(pt.handed, static_cast<int64_t>(pt.accuracy.size()));
  return recorded;
}

void BerSchedule::report_finished_points() {
  for (; reported_ < settings_.points && points_[reported_].stop >= 0; ++reported_) {
    if (!observer_) continue;
    const int64_t begin = ber_trial_index(reported_, 0);
    observer_->on_result(RecordKind::BerPoint,
                         ber_point_summary(recorder_.range(begin, begin + points_[reported_].stop), golden_));
  }
}

bool BerSchedule::finished() const {
  return std::all_of(points_.begin(), points_.end(), [](const Point& p) { return p.stop >= 0; });
}

}  // namespace faultscape
