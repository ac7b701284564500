// The network of an experiment: loaded, reused from an earlier identical training run, or trained.
#pragma once
#include <string>

#include "data/dataset.h"
#include "models/network.h"
#include "project/project.h"
#include "store/result_store.h"
#include "study/experiment_outcome.h"

namespace faultscape {

// Where a trained model of this experiment is saved when training.checkpoint is empty.
std::string default_model_path(const Project& project, const Experiment& experiment);

// The network of an experiment: loaded from experiment.load; or reused from an earlier complete
// "train" run of the same configuration whose model file still exists (unless retrain); or built
// (seeded) and trained, recorded as a "train" run.
Network prepare_network(const Project& project, const Experiment& experiment, const DatasetSplit& data,
                        ResultStore& store, ExperimentOutcome& outcome, const RunControl& control);

}  // namespace faultscape
