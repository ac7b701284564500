// Structured channel pruning that physically shrinks the network: removing output channels of a
// conv / linear stage removes its filter rows (and bias), its batch-norm entries, and the matching
// input channels of the next conv / linear layer (through pooling and flattening stages).
// The hardening paper prunes the least vulnerable channels (eq. 1) and compares with L1-norm
// pruning, then fine-tunes (10 epochs of SGD at lr 0.001).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "models/channel_narrow.h"
#include "models/network.h"
#include "prune/vulnerability.h"

namespace faultscape {

// The channels to drop per layer: the floor(ratios[i] * n) lowest-scoring channels of scored layer i
// (at least one channel stays in each layer).
std::vector<std::vector<int64_t>> lowest_channels(const std::vector<ChannelScores>& scores,
                                                  const std::vector<double>& ratios);

// Drops the given channels of each scored layer; returns how many were removed.
int64_t prune_by_scores(Network& net, const std::vector<ChannelScores>& scores,
                        const std::vector<std::vector<int64_t>>& drop);

}  // namespace faultscape
