// Delta evaluation of a stuck channel (FAT Algorithm 1, fast): a change confined to channel c of
// a stage output stays in channel c through channel-local stages (pooling, flattening, element-wise
// activations, batch norm, dropout in eval), so the next linear layer's pre-activation is its
// cached golden one plus the layer applied to the one-channel difference:
//   Z' = Z + W[:, c] * (local(v) - local(x_c)).
// When that layer opens a residual block, its shortcut is linear too: the identity passes the
// faulty channel, a projection adds its own one-channel delta; the rest of the block then runs.
// The plan says whether this holds after a given site and, if not, why (the summary reports it).
#pragma once
#include <torch/types.h>

#include <string>
#include <vector>

#include "faults/activation_faults.h"

#include "models/network.h"
#include "models/residual_block.h"
#include "quant/quant_layers.h"

namespace faultscape {

struct DeltaPlan {
  bool valid = false;
  std::string reason;               // why not, when !valid
  std::vector<int> local;           // channel-local stages between the site and the target
  int target = -1;                  // the stage whose first module is the linear layer
  QuantConv2dImpl* conv = nullptr;  // the layer (a residual block's first convolution)
  QuantLinearImpl* linear = nullptr;
  ResidualBlock* block = nullptr;
};

DeltaPlan plan_delta(Network& net, int site_stage);

// Whether the modules after a stage's first one (batch norm, activation, pooling) act per channel.
bool channel_local_after_first(const Stage& st);

// Runs modules [1, end) of a stage: what follows its linear layer (batch norm, activation).
torch::Tensor rest_of_stage(torch::nn::Sequential seq, torch::Tensor z);

}  // namespace faultscape
