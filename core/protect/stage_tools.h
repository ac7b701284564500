// Building blocks shared by the protection schemes: which stages a scheme targets, and a
// layer's stage rebuilt with some of its output channels repeated (for duplication / triplication).
#pragma once
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/types.h>

#include <vector>

#include "models/network.h"
#include "protect/protection_spec.h"

namespace faultscape {

bool is_layer(const Stage& s);  // conv or linear stage

// A network with the same config and shapes and no stages yet.
Network empty_like(const Network& net);
// Appends a copy of stage `s` (its own tensors) to `out`, unprotected.
void copy_stage(Network& out, const Stage& s);

// Index of the last stage of the group a layer heads: the layer and its checker stages.
size_t group_end(const Network& net, size_t i);

// Whether stage i is the logits layer: a network's last stage (a residual block's paths have none).
bool is_logits(const Network& net, size_t i);

// Which stages a scheme protects: its "layers", or every conv / linear stage (but the logits
// when skip_last) and, for schemes that protect residual blocks whole, every block. TMR may name
// any stage but a checker; names of blocks and "<block>.<layer>" are left to the schemes that
// reach inside blocks (protect/block_paths.h). Unknown names throw ConfigError.
std::vector<bool> targets(const Network& net, const ProtectionSpec& spec, bool skip_last);

// The first n of the profiling images; ConfigError naming the scheme when there are none.
torch::Tensor first_images(const torch::Tensor& images, int64_t n, const ProtectionSpec& spec);

// The plain conv / linear layer a stage starts with; ConfigError when it does not (other schemes
// must come after those that rebuild layers).
torch::nn::AnyModule leading_layer(const Stage& s, const ProtectionSpec& spec);

// The layer's stage with output channels `dup` repeated (copies - 1) more times after the
// original ones: conv / linear rows and batch-norm entries; element-wise modules are copied.
torch::nn::Sequential expand_stage(const Stage& s, const torch::Tensor& dup, int copies, const ProtectionSpec& spec);

}  // namespace faultscape
