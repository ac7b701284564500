// The plain C++ observer through which long jobs (training, campaigns) report progress and results.
// The GUI's EngineWorker turns these calls into queued Qt signals; the CLI draws a progress bar.
#pragma once
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <string>

#include "common/records.h"

namespace faultscape {

struct Progress {
  std::string phase;     // "train", "eval", "golden", "stuck-sweep", ...
  int64_t done = 0;      // units finished (batches, trials, ...)
  int64_t total = 0;     // 0 when unknown
  double elapsed_s = 0;  // since the phase started
  std::string message;   // short human-readable status line
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_progress(const Progress&) {}
  // One finished unit of results: an epoch's metrics, a trial, a campaign summary (common/records.h).
  virtual void on_result(RecordKind /*kind*/, const nlohmann::json& /*record*/) {}
  // A human-readable line; never parsed (typed events have their own calls).
  virtual void on_log(const std::string& /*line*/) {}
  // The experiment reuses a model trained by an earlier run instead of training (the GUI then
  // shows that run's training curve).
  virtual void on_model_reused(const std::string& /*model_path*/) {}
};

// Shared cancellation / pause flag, polled between batches or trials.
struct StopToken {
  std::atomic<bool> cancel{false};
  bool requested() const { return cancel.load(std::memory_order_relaxed); }
};

}  // namespace faultscape
