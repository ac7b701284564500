// Quantization bound (seed note 000, first approach): the weight and activation quantization
// ranges of the selected layers are narrowed so that a fault can only produce values inside a
// smaller range; values beyond the bound saturate.
//   basic:     every bound times a fixed shrink factor;
//   optimized: the shrink is searched from 1 down in steps of 0.05 (to spec.factor at the lowest);
//              the smallest factor whose accuracy on the labelled profiling images stays within
//              spec.tolerance points of the unbounded network's is kept (the search stops at the
//              first factor that loses more).
#pragma once
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "models/network.h"
#include "protect/protection_spec.h"

namespace faultscape {

Network apply_qbound(const Network& net, const ProtectionSpec& spec, const torch::Tensor& images,
                     const torch::Tensor& labels, nlohmann::json& details);

}  // namespace faultscape
