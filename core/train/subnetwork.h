// Sub-networks (paper 003, third abstract): a network whose selected layers can be removed on
// demand at inference. Training forwards the full network and each sub-network (one selected layer
// bypassed) on the same batch and averages their gradients, which is the gradient of
//   L = (L_full + sum_l L_without_l) / (1 + n),
// so both keep their accuracy with the same weights. The "bypass" protection scheme then removes
// a layer flagged faulty. A layer can be removed only when its output has its input's shape
// (e.g. a residual block of resnet20).
#pragma once
#include <torch/types.h>

#include <string>
#include <vector>

#include "models/network.h"

namespace faultscape {

// Indices of the named stages after checking that each can be removed; ConfigError naming
// `path` ("training.subnetwork.layers") for an unknown or shape-changing stage.
std::vector<int> bypassable_stages(Network& net, const std::vector<std::string>& layers, const std::string& path);

// The network's output with stage `skip` left out.
torch::Tensor forward_without(Network& net, const torch::Tensor& x, int skip);

// The averaged loss above, given the full network's loss on (x, y).
torch::Tensor subnetwork_loss(Network& net, const torch::Tensor& x, const torch::Tensor& y,
                              const torch::Tensor& full_loss, const std::vector<int>& stages, const std::string& loss);

}  // namespace faultscape
