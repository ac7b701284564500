#include "study/run_info.h"

#include <torch/torch.h>

#include "runtime/device.h"

namespace faultscape {

RunInfo run_info(const Project& project, const Experiment& experiment, const std::string& kind) {
  RunInfo info;
  info.project = project.name;
  info.experiment = experiment.name;
  info.kind = kind;
  info.config = to_json(experiment);
  // A training run's identity is what determines its weights: dataset, model, training (seed and
  // checkpoint path included) and the thread count (LibTorch's CPU reductions split work by thread,
  // so weights are reproducible per seed *and* thread count). The campaign, faults and protection
  // do not change the weights, so editing them reuses the trained model.
  if (kind == "train")
    info.config = {
        {"dataset", info.config["dataset"]}, {"model", info.config["model"]}, {"training", info.config["training"]}};
  // A prune run's: the model pruned (its file hash is added by the caller) and the prune settings.
  if (kind == "prune")
    info.config = {{"dataset", info.config["dataset"]},
                   {"model", info.config["model"]},
                   {"training", info.config["training"]},
                   {"load", info.config["load"]},
                   {"prune", info.config["prune"]}};
  info.config["threads"] = torch::get_num_threads();
  // Where it computed (a GPU's weights and sums differ from the CPU's in the last bits): the device
  // and, on a GPU, its name; whether LibTorch's deterministic algorithms were on.
  const c10::Device device = compute_device();
  info.config["device"] = device.str();
  if (!device.is_cpu()) info.config["gpu"] = device_name(device);
  if (deterministic()) info.config["deterministic"] = true;
  info.seed = experiment.training.seed;
  return info;
}

}  // namespace faultscape
