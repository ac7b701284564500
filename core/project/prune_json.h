// An experiment's "prune" object <-> PruneConfig (hardening paper, section IV): prune the trained or
// loaded network by vulnerability or L1 norm, fine-tune it, and measure everything after on the
// pruned network.
#pragma once
#include <nlohmann/json.hpp>

#include "common/json_reader.h"
#include "prune/prune_study.h"

namespace faultscape {

// Every field written explicitly, so a saved file documents the values used.
nlohmann::json to_json(const PruneConfig& config);

// Reads the object under `reader` into `out` (absent fields keep out's values); fine_tune holds the
// optimiser fields of the fine-tuning (epochs, batch_size, optimizer, lr, momentum, weight_decay);
// invalid values and unknown keys are recorded as problems of the reader's document.
void read_config(Reader& reader, PruneConfig& out);

}  // namespace faultscape
