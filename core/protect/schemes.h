// Applying protection: each scheme (registered in scheme_registry.cpp, one scheme_<name>.cpp or
// its own file each) turns a Network into a new, protected Network of stages (its own copy of
// every tensor), so golden runs, stuck sweeps and BER sweeps apply to it unchanged.
//  - tmr:      triplicated stage (3 separate weight copies, outputs side by side) + "<name>_vote" stage
//  - replicate: the k channels of largest measured stuck-at impact triplicated + "<name>_vote" stage
//  - edac:     top-r vulnerable channels duplicated (or triplicated) in the layer + "<name>_edac" stage
//  - abft:     the layer wrapped with output checksums (detect + correct a single faulty output)
//  - ranger / clipact: "<name>_range" stage after the layer's output (after its checker, if any)
//  - saturate / scale: weights stored encoded (s tanh(v), s 2/pi atan(v), v / k)
//  - bypass:   the named stages removed (a sub-network trained for it, paper 003)
//  - qbound:   quantization bounds of weights and activations shrunk by a fixed or searched factor
// Checker stages have kind "check": fault models select conv / linear stages by default, and stage
// names of the unprotected network keep naming the same layers.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <vector>

#include "models/network.h"
#include "protect/protection_spec.h"

namespace faultscape {

// Applies one scheme. profile_images: training images for bounds, vulnerability and rankings
// (their first spec.profile_images are used); profile_labels: their labels (optimized qbound
// measures accuracy; may be undefined otherwise). details receives what was done.
Network apply_scheme(const Network& net, const ProtectionSpec& spec, const torch::Tensor& profile_images,
                     const torch::Tensor& profile_labels, nlohmann::json& details);

// Applies the schemes in order; details is an array with one object per scheme.
Network apply_protection(const Network& net, const std::vector<ProtectionSpec>& specs,
                         const torch::Tensor& profile_images, const torch::Tensor& profile_labels,
                         nlohmann::json& details);

// Summed ABFT counters of every checker in the network (checked, detected, corrected,
// uncorrectable); reset_abft_counts zeroes them.
nlohmann::json abft_counts(Network& net);
void reset_abft_counts(Network& net);

}  // namespace faultscape
