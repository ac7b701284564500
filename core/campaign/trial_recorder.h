// Streams a campaign's trials to the results database (batched transactions) and the observer,
// and knows which trials an interrupted earlier attempt of the same run already recorded.
#pragma once
#include <chrono>
#include <map>
#include <vector>

#include "common/observer.h"
#include "store/result_store.h"

namespace faultscape {

class TrialRecorder {
 public:
  // store may be null (benchmarks): nothing is persisted. kind: what the observer is told the
  // trials are (RecordKind::BerTrial or StuckTrial).
  TrialRecorder(ResultStore* store, int64_t run, Observer* observer, RecordKind kind);
  ~TrialRecorder();

  const TrialRow* existing(int64_t trial) const;  // recorded by an earlier attempt, or null
  void add(TrialRow row);
  void flush();
  // Every trial of the run: earlier attempts' and this one's, by trial index.
  std::vector<TrialRow> all() const;
  // Those with begin <= trial < end.
  std::vector<TrialRow> range(int64_t begin, int64_t end) const;

 private:
  ResultStore* store_;
  int64_t run_;
  Observer* observer_;
  RecordKind kind_;
  std::map<int64_t, TrialRow> rows_;
  std::vector<TrialRow> pending_;
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace faultscape
