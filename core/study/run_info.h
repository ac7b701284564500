// The record of a run of an experiment in the results database: project, experiment, kind, the
// experiment's full configuration (with the thread count, which determines trained weights) and seed.
// A "train" run's configuration holds only what determines the weights (dataset, model, training,
// threads), so its config hash decides whether an earlier trained model can be reused.
#pragma once
#include <string>

#include "project/project.h"
#include "store/result_store.h"

namespace faultscape {

RunInfo run_info(const Project& project, const Experiment& experiment, const std::string& kind);

}  // namespace faultscape
