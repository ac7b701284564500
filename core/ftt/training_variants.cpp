#include "ftt/training_variants.h"

#include <torch/torch.h>

#include "ftt/dropout_layer.h"
#include "models/stage_edit.h"

namespace faultscape {

TrainingVariants::TrainingVariants(Network& net, const TrainConfig& config, Observer* observer)
    : net_(net), config_(config), observer_(observer) {
  // Robust-training gates first: FAT and dropout then find the gated ReLU stages as activation stages.
  robust_ = std::make_unique<RobustTraining>(net, config, observer);
  // Positions are found on the plain network, before either kind of layer is appended.
  std::vector<int> dropout_at;
  if (config.dropout.enabled()) dropout_at = activation_stages(net, config.dropout.layers, "training.dropout.layers");
  if (config.fault_aware.enabled())
    fat_ = std::make_unique<FaultAwareTraining>(net, config.fault_aware, config.epochs, config.seed);
  if (config.dropout.enabled()) {
    for (int s : dropout_at) {
      append_to_stage(net, s, StageDropout(config.dropout.kind, config.dropout.p));
      dropout_stages_.push_back(net->stage(s).name);
      ++dropout_layers_;
    }
  }
}

void TrainingVariants::install(TrainHooks& hooks) {
  robust_->install(hooks);
  if (!fat_) return;
  auto previous = hooks.on_epoch_begin;
  FaultAwareTraining* fat = fat_.get();
  Observer* observer = observer_;
  hooks.on_epoch_begin = [previous, fat, observer](int epoch) {
    if (previous) previous(epoch);
    fat->begin_epoch(epoch);
    if (observer && !fat->choices().empty())
      observer->on_log("FAT method 2, epoch " + std::to_string(epoch) + ": injecting after " +
                       fat->points()[fat->choices().back()].name);
  };
}

void TrainingVariants::finish() {
  if (fat_) fat_->remove();
  if (dropout_layers_ > 0)
    remove_from_stages(net_, [](const torch::nn::Module& m) { return dynamic_cast<const StageDropoutImpl*>(&m); });
  dropout_layers_ = 0;
  robust_->finish();
}

nlohmann::json TrainingVariants::describe() const {
  nlohmann::json j = nlohmann::json::object();
  if (fat_) j["fault_aware"] = fat_->describe();
  j.update(robust_->describe());
  if (!dropout_stages_.empty())
    j["dropout"] = {{"kind", config_.dropout.kind}, {"p", config_.dropout.p}, {"layers", dropout_stages_}};
  return j;
}

}  // namespace faultscape
