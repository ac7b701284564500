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

#include "campaign/faulty_evaluator.h"
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

// Evaluates faults on one site by a valid plan: the golden tensors it needs, computed once, and the
// target stage's faulty output for a batch of stacked fault instances.
class ChannelDelta {
 public:
  // The site's and the target's golden inputs for all images; chunk: images per pass.
  ChannelDelta(Network& net, DeltaPlan plan, torch::Tensor site_output, torch::Tensor target_input, int64_t chunk);
  // Stacks fault `f` as instance j of k on images [offset, offset + len).
  void add(size_t j, size_t k, const StuckFault& f, int64_t offset, int64_t len);
  // The logits of the k instances stacked since instance 0 (images [offset, offset + len) each).
  torch::Tensor logits(FaultyEvaluator& ev, int64_t offset);
  // Multiply-adds per image of one fault: the delta and every stage after it.
  int64_t macs_per_image(const std::vector<int64_t>& stage_macs) const;
  int target() const { return plan_.target; }

 private:
  Network net_;
  DeltaPlan plan_;
  torch::Tensor x_, local_golden_, z_golden_, s_golden_;  // site output, target input, layer / shortcut outputs
  torch::Tensor weight_, shortcut_weight_;                // the shortcut's with its batch norm's scale folded in
  int64_t per_channel_ = 1;                               // linear target after flattening: inputs per channel
  torch::Tensor z_, s_;                                   // the stacked layer and shortcut outputs
};

}  // namespace faultscape
