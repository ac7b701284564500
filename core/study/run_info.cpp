#include "study/run_info.h"

#include <torch/torch.h>

namespace faultscape {

RunInfo run_info(const Project& project, const Experiment& experiment, const std::string& kind) {
  RunInfo info;
  info.project = project.name;
  info.experiment = experiment.name;
  info.kind = kind;
  info.config = to_json(experiment);
  info.config["threads"] = torch::get_num_threads();
  info.seed = experiment.training.seed;
  return info;
}

}  // namespace faultscape
