// What running an experiment produced (its runs in the results database and their summaries), and
// how the caller controls a run (observer, stop token, retraining).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "common/observer.h"
#include "train/evaluate.h"
#include "train/trainer.h"

namespace faultscape {

struct ExperimentOutcome {
  int64_t train_run = 0;  // 0 when the model was loaded instead of trained
  int64_t eval_run = 0;
  std::string model_path;    // where the trained model was saved (or loaded from)
  std::string model_sha256;  // SHA-256 of that file's bytes: the model's identity
  int64_t campaign_run = 0;  // 0 when the experiment has no fault campaign
  TrainResult training;
  EvalResult evaluation;
  nlohmann::json campaign;  // the campaign's summary
  nlohmann::json to_json() const;
};

struct RunControl {
  Observer* observer = nullptr;
  const StopToken* stop = nullptr;
  bool retrain = false;  // train even when an identical earlier training run left its model
};

}  // namespace faultscape
