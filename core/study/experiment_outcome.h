// What running an experiment produced (its runs in the results database and their summaries), and
// how the caller controls a run (observer, stop token, retraining).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "campaign/trial_executor.h"
#include "common/observer.h"
#include "store/result_store.h"
#include "train/evaluate.h"
#include "train/trainer.h"

namespace faultscape {

struct ExperimentOutcome {
  int64_t train_run = 0;  // 0 when the model was loaded instead of trained
  int64_t eval_run = 0;
  std::string model_path;    // where the trained (or pruned) model was saved (or loaded from)
  std::string model_sha256;  // SHA-256 of that file's bytes: the model's identity
  int64_t campaign_run = 0;  // 0 when the experiment has no fault campaign
  int64_t prune_run = 0;     // 0 when the experiment does not prune (or reused an earlier prune run)
  nlohmann::json pruning;    // the prune run's summary (PruneReport, model paths); null when no pruning
  TrainResult training;
  EvalResult evaluation;
  nlohmann::json campaign;  // the campaign's summary
  nlohmann::json to_json() const;
};

struct RunControl {
  Observer* observer = nullptr;
  const StopToken* stop = nullptr;
  bool retrain = false;  // train even when an identical earlier training run left its model
  // Where campaign trials are evaluated (null: here). On a process that does not record (an MPI
  // worker rank), models come from the recording process instead of being trained or looked up.
  TrialExecutor* executor = nullptr;
  // Where earlier trained models are looked up (null: the database written). Shards look in the
  // project's database, where the Slurm job's first step trained them.
  const ResultStore* model_source = nullptr;
  bool train_only = false;  // train (or reuse) the model, then stop: no evaluation, no campaign
  // A finished campaign run of exactly this configuration (same model file hash) is taken as it is
  // instead of being measured again: a seed study continues where it stopped (cmd_run sets it
  // when the project has seeds).
  bool reuse_finished = false;
  bool records() const { return !executor || executor->records(); }
};

}  // namespace faultscape
