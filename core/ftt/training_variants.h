// The training variants a TrainConfig asks for (FAT method 1 / 2, Dropout / Dropout2D, and the
// robust-training methods of core/ftt/), attached to a network before training and taken out
// afterwards, so the trained network has its plain architecture again (what model files store and
// what campaigns evaluate) — except learned-threshold gates, which stay as the protection.
#pragma once
#include <nlohmann/json.hpp>

#include <memory>

#include "common/observer.h"
#include "ftt/fault_aware.h"
#include "models/network.h"
#include "ftt/robust_training.h"
#include "train/trainer.h"

namespace faultscape {

class TrainingVariants {
 public:
  // Attaches the layers; throws ConfigError naming the training field at fault.
  TrainingVariants(Network& net, const TrainConfig& config, Observer* observer = nullptr);

  bool any() const { return fat_ != nullptr || dropout_layers_ > 0 || (robust_ && robust_->any()); }
  // Chains this object's per-epoch control into hooks (keeping hooks already there).
  void install(TrainHooks& hooks);
  // Removes every layer added; describe() still reports what was done.
  void finish();
  FaultAwareTraining* fat() { return fat_.get(); }
  RobustTraining* robust() { return robust_.get(); }
  nlohmann::json describe() const;

 private:
  Network net_;
  TrainConfig config_;
  Observer* observer_;
  std::unique_ptr<RobustTraining> robust_;
  std::unique_ptr<FaultAwareTraining> fat_;
  int dropout_layers_ = 0;
  std::vector<std::string> dropout_stages_;
};

}  // namespace faultscape
