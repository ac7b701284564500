// The measured counterpart of the vulnerability estimate: for each output channel of a stage,
// the largest accuracy drop when that channel's activation map is stuck at one of `values`
// (single channel stuck-at, FAT Algorithm 1), on the first `limit` test images.
#pragma once
#include <vector>

#include "data/dataset.h"
#include "models/network.h"
#include "prune/vulnerability.h"

namespace faultscape {

// One ChannelScores per stage in `stages` (conv / linear stages): score = worst drop in points.
std::vector<ChannelScores> measured_stuck_drop(Network& net, const Dataset& data, const std::vector<int>& stages,
                                               const std::vector<double>& values, int64_t limit = 1000,
                                               int64_t batch_size = 500);

}  // namespace faultscape
