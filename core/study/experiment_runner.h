// Runs one experiment of a project end to end: dataset, network (model_provider.h: trained here,
// reused or loaded), golden evaluation, protection (protector.h) and the experiment's campaign
// (campaign_runner.h) or design-space study (design_space_study.h). Every step is a run in the
// project's results database, recorded transactionally.
#pragma once
#include "project/project.h"
#include "store/result_store.h"
#include "study/experiment_outcome.h"
#include "study/model_provider.h"

namespace faultscape {

ExperimentOutcome run_experiment(const Project& project, const Experiment& experiment, ResultStore& store,
                                 const RunControl& control = {});

}  // namespace faultscape
