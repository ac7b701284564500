#include "campaign/trial_recorder.h"

namespace faultscape {

TrialRecorder::TrialRecorder(ResultStore* store, int64_t run, Observer* observer, RecordKind kind)
    : store_(store), run_(run), observer_(observer), kind_(kind), last_flush_(std::chrono::steady_clock::now()) {
  if (store_)
    for (TrialRow& r : store_->trials(run_)) rows_.emplace(r.trial, std::move(r));
}

TrialRecorder::~TrialRecorder() {
  try {
    flush();
  } catch (...) {
    // Destructors must not throw; the run's status records the failure.
  }
}

const TrialRow* TrialRecorder::existing(int64_t trial) const {
  auto it = rows_.find(trial);
  return it == rows_.end() ? nullptr : &it->second;
}

void TrialRecorder::add(TrialRow row) {
  if (observer_) {
    nlohmann::json j = to_json(row);
    j["run"] = run_;
    observer_->on_result(kind_, j);
  }
  rows_[row.trial] = row;
  pending_.push_back(std::move(row));
  // One transaction per batch of trials: cheap, and at most half a second of work is ever at risk.
  if (pending_.size() >= 256 || std::chrono::steady_clock::now() - last_flush_ > std::chrono::milliseconds(500))
    flush();
}

void TrialRecorder::flush() {
  if (store_ && !pending_.empty()) store_->add_trials(run_, pending_);
  pending_.clear();
  last_flush_ = std::chrono::steady_clock::now();
}

std::vector<TrialRow> TrialRecorder::all() const {
  std::vector<TrialRow> out;
  for (const auto& [k, r] : rows_) out.push_back(r);
  return out;
}

std::vector<TrialRow> TrialRecorder::range(int64_t begin, int64_t end) const {
  std::vector<TrialRow> out;
  for (auto it = rows_.lower_bound(begin); it != rows_.end() && it->first < end; ++it) out.push_back(it->second);
  return out;
}

}  // namespace faultscape
