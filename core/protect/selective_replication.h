// Selective channel replication (FAT paper, section V-C): channels are ranked by their measured
// stuck-at impact, and the k most critical ones over all selected layers are triplicated, with a
// voter after each layer that has triplicated channels. Sweeping k gives the worst-case error vs
// hardware cost front of FAT Fig. 9.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "models/network.h"
#include "protect/protection_spec.h"

namespace faultscape {

// Impact of a channel = the largest share (in %) of the profiling images whose predicted class
// changes from the fault-free prediction when the channel's whole output map is stuck at one of
// the stuck values (spec.stuck_values, or "auto": the activation quantizer's levels; for float
// activations {0, the largest profiled output}). Labels are not needed: a changed prediction is
// what a stuck PE does to the classifier.
Network apply_selective_replication(const Network& net, const ProtectionSpec& spec, const torch::Tensor& images,
                                    nlohmann::json& details);

}  // namespace faultscape
