// Runs one experiment of a project end to end: dataset, network (trained here or loaded),
// golden evaluation, and (once those layers exist) the experiment's campaign. Every step is a run
// in the project's results database, recorded transactionally.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "common/observer.h"
#include "data/dataset.h"
#include "models/network.h"
#include "project/project.h"
#include "store/result_store.h"
#include "train/evaluate.h"
#include "train/trainer.h"

namespace faultscape {

struct ExperimentOutcome {
  int64_t train_run = 0;  // 0 when the model was loaded instead of trained
  int64_t eval_run = 0;
  std::string model_path;    // where the trained model was saved (or loaded from)
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

// Where a trained model of this experiment is saved when training.checkpoint is empty.
std::string default_model_path(const Project& project, const Experiment& experiment);

// The network of an experiment: loaded from experiment.load; or reused from an earlier complete
// "train" run of the same configuration whose model file still exists (unless retrain); or built
// (seeded) and trained, recorded as a "train" run.
Network prepare_network(const Project& project, const Experiment& experiment, const DatasetSplit& data,
                        ResultStore& store, ExperimentOutcome& outcome, const RunControl& control);

ExperimentOutcome run_experiment(const Project& project, const Experiment& experiment, ResultStore& store,
                                 const RunControl& control = {});

}  // namespace faultscape
