// Profiling of a network on training data, for the schemes that need it: activation bounds
// (Ranger, FT-ClipAct, EDAC detection intervals) and per-channel vulnerability (EDAC ranking).
#pragma once
#include <torch/nn/modules/container/sequential.h>
#include <torch/types.h>

#include <utility>

#include "models/network.h"

namespace faultscape {

// Outputs of stage `stage` for all `images` (batched, inference mode).
torch::Tensor profile_stage_outputs(Network& net, int stage, const torch::Tensor& images, int64_t batch = 500);

// Inputs of stage `stage` for all `images` (the images themselves for stage 0).
torch::Tensor profile_stage_inputs(Network& net, int stage, const torch::Tensor& images, int64_t batch = 500);

// Outputs of a stage's module for all `inputs` (batched, inference mode).
torch::Tensor profile_module(torch::nn::Sequential module, const torch::Tensor& inputs, int64_t batch = 500);

// Per output channel, the largest difference rounding can make between two float32 computations
// of a conv / linear stage's output that sum its products in different orders (a layer computed
// as part of a wider one, another kernel, another machine): each order errs by at most
// gamma_n * S_c (Higham; n = fan-in + 1, gamma_n = n u / (1 - n u), u = 2^-24), where S_c =
// sum |w_ci x_i| + |b_c| is the largest over the profiled `inputs` (the stage's inputs), so two
// orders differ by at most 2 gamma_n S_c. Batch norm multiplies that by |gamma_c| / sqrt(var_c + eps)
// and adds its own rounding (4 u of the output's size); element-wise activations and pooling do
// not grow it; a fake quantizer can round the two across one threshold: one step more. Inputs
// beyond the profiled ones are covered by a factor 2.
torch::Tensor rounding_tolerance(torch::nn::Sequential stage, const torch::Tensor& inputs);

// Bounds [lo, hi] of the values: hi is the `percentile` (0-100] percentile and lo the
// (100 - percentile) one, over all values (shape [1]) or per channel = dim 1 (shape [C]).
std::pair<torch::Tensor, torch::Tensor> percentile_bounds(const torch::Tensor& values, bool per_channel,
                                                          double percentile);

// Vulnerability of every output channel of the conv / linear layer leading stage `stage`: the
// hardening paper's eq. 1 as pruning computes it (prune/vulnerability.h, after HarDNN): per image x
// with top class t and every other class k, | sum over the channel's weights of w * d(z_t - z_k)/dw |,
// averaged over the images. Higher = more vulnerable.
torch::Tensor channel_vulnerability(Network& net, int stage, const torch::Tensor& images, int64_t batch = 250);
// The same for a stage whose layer is part of `net` elsewhere (a layer inside a residual block).
torch::Tensor channel_vulnerability(Network& net, const Stage& stage, const torch::Tensor& images, int64_t batch = 250);

}  // namespace faultscape
