// The optimiser fields shared by an experiment's "training" and the prune step's "fine_tune":
// epochs, batch_size, optimizer, lr, momentum, weight_decay.
#pragma once
#include "common/json_reader.h"
#include "train/train_config.h"

namespace faultscape {

// Reads those fields into `out` (absent fields keep out's values); lr must be > 0 when epochs > 0.
void read_optimizer_fields(Reader& reader, TrainConfig& out);

}  // namespace faultscape
