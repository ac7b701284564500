// What the project file's "training" object holds.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "train/fat_config.h"
#include "train/robust_config.h"

namespace faultscape {

struct TrainConfig {
  int epochs = 5;
  int64_t batch_size = 64;
  std::string optimizer = "adam";  // adam | sgd
  double lr = 1e-3;
  double momentum = 0.9;  // sgd only
  double weight_decay = 0.0;
  int lr_halve_every = 0;              // halve the learning rate every N epochs; 0 = never
  std::string loss = "cross_entropy";  // cross_entropy | squared_hinge
  uint64_t seed = 1;
  std::string checkpoint;  // path of the trained model file; empty = none
  int64_t eval_batch_size = 1000;
  FatConfig fault_aware;                        // fault-aware training (FAT); method 0 = off
  DropoutConfig dropout;                        // dropout at the FAT positions; kind "none" = off
  LearnedThresholdConfig learned_threshold;     // learned-threshold ReLU (note 000); off unless present
  QuantBoundConfig quant_bound;                 // quantization-bound regulariser (note 000)
  BitflipTrainingConfig bitflip_training;       // FTT weight bit-flip training (FTT-NAS)
  SaturatingTrainingConfig saturating_weights;  // w = s tanh(v) / s 2/pi atan(v) while training (003)
  std::vector<std::string> subnetwork_layers;   // sub-networks (003): layers trained to be removable
};

}  // namespace faultscape
