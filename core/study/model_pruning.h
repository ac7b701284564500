// An experiment's prune step ("prune", hardening paper section IV): the network trained or loaded
// for it is pruned by vulnerability or L1 norm and fine-tuned, recorded as a "prune" run, and saved;
// evaluation, protection and the campaign then measure the pruned network.
#pragma once
#include <string>

#include "data/dataset.h"
#include "models/network.h"
#include "project/project.h"
#include "store/result_store.h"
#include "study/experiment_outcome.h"

namespace faultscape {

// prune.save, or <output_dir>/<project>/<experiment>.seed<N>.pruned.pt (N: the training seed).
std::string pruned_model_path(const Project& project, const Experiment& experiment);

// Prunes and fine-tunes `net` (outcome names the model it came from), records the "prune" run and
// saves the pruned model; outcome then names the pruned model file. A complete earlier prune run of
// the same configuration on the same model file is reused instead (unless control.retrain). The
// fine-tuning takes the experiment's loss, seed and evaluation batch size.
Network prune_network(const Project& project, const Experiment& experiment, Network net, const DatasetSplit& data,
                      ResultStore& store, ExperimentOutcome& outcome, const RunControl& control);

}  // namespace faultscape
