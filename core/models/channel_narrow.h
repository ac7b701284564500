// Narrowing a network in place: removing output channels of a conv / linear stage removes its
// filter rows (and bias), its batch-norm entries and learned-threshold gates, and the matching input
// channels of the next conv / linear layer (through pooling and flattening stages). Pruning
// (prune/) chooses the channels; loading a pruned model file replays the recorded widths.
#pragma once
#include <cstdint>
#include <vector>

#include "models/network.h"

namespace faultscape {

// Keeps only output channels `keep` (ascending, non-empty) of stage `stage`. Throws ModelError when
// the stage is not prunable or the layer after it cannot be narrowed.
void prune_stage_channels(Network& net, int stage, const std::vector<int64_t>& keep);

}  // namespace faultscape
