// Profiling of a network on training data, for the schemes that need it: activation bounds
// (Ranger, FT-ClipAct, EDAC detection intervals) and per-channel vulnerability (EDAC ranking).
#pragma once
#include <torch/types.h>

#include <utility>

#include "models/network.h"

namespace faultscape {

// Outputs of stage `stage` for all `images` (batched, inference mode).
torch::Tensor profile_stage_outputs(Network& net, int stage, const torch::Tensor& images, int64_t batch = 500);

// Bounds [lo, hi] of the values: hi is the `percentile` (0-100] percentile and lo the
// (100 - percentile) one, over all values (shape [1]) or per channel = dim 1 (shape [C]).
std::pair<torch::Tensor, torch::Tensor> percentile_bounds(const torch::Tensor& values, bool per_channel,
                                                          double percentile);

// Vulnerability of every output channel of the conv / linear layer leading stage `stage`
// (reconstruction of eq. 1 of the hardening paper after HarDNN): with logits z, top class t and
// K classes, the margin M(x) = sum_{k != t} (z_t - z_k) / (K - 1), and
//   V_c = sum over image batches B of | sum_{w in channel c} w * dM_B/dw |,  M_B = sum_{x in B} M(x),
// the first-order estimate of how much the margin changes when the channel's weights (and bias)
// are lost. Higher = more vulnerable.
torch::Tensor channel_vulnerability(Network& net, int stage, const torch::Tensor& images, int64_t batch = 250);

}  // namespace faultscape
