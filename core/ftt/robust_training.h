// The robust-training methods a TrainConfig asks for (robust_config.h): learned-threshold ReLU,
// quantization-bound regulariser, FTT weight bit-flip training, saturating weights. Attached to
// the network before training (gates appended, layers wrapped), driven through TrainHooks, and
// finished after training: saturating layers are decoded back to plain weights, while the
// learned-threshold gates stay (they are the protection; model files record them).
#pragma once
#include <nlohmann/json.hpp>

#include <memory>

#include "common/observer.h"
#include "models/network.h"
#include "ftt/bitflip_training.h"
#include "ftt/quant_bound_training.h"
#include "ftt/saturating_training.h"
#include "ftt/threshold_training.h"
#include "train/trainer.h"

namespace faultscape {

class RobustTraining {
 public:
  // Throws ConfigError naming the training field at fault.
  RobustTraining(Network& net, const TrainConfig& config, Observer* observer = nullptr);

  bool any() const { return thresholds_ || qbound_ || bitflip_ || saturating_; }
  // Chains this object's work into hooks (keeping hooks already there).
  void install(TrainHooks& hooks);
  void finish();
  nlohmann::json describe() const;  // one key per method used

  LearnedThresholdTraining* thresholds() { return thresholds_.get(); }
  QuantBoundTraining* quant_bound() { return qbound_.get(); }
  BitflipTraining* bitflip() { return bitflip_.get(); }
  SaturatingTraining* saturating() { return saturating_.get(); }

 private:
  Observer* observer_;
  std::unique_ptr<LearnedThresholdTraining> thresholds_;
  std::unique_ptr<QuantBoundTraining> qbound_;
  std::unique_ptr<BitflipTraining> bitflip_;
  std::unique_ptr<SaturatingTraining> saturating_;
  std::shared_ptr<const DatasetSplit*> data_ = std::make_shared<const DatasetSplit*>(nullptr);
};

}  // namespace faultscape
