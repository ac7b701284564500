// The robust-training objects of a project's "training" section <-> their structs
// (training.learned_threshold, .quant_bound, .bitflip_training, .saturating_weights; see robust_config.h).
#pragma once
#include <nlohmann/json.hpp>

#include "common/json_reader.h"
#include "train/robust_config.h"

namespace faultscape {

nlohmann::json to_json(const LearnedThresholdConfig& config);
nlohmann::json to_json(const QuantBoundConfig& config);
nlohmann::json to_json(const BitflipTrainingConfig& config);
nlohmann::json to_json(const SaturatingTrainingConfig& config);

// Absent fields keep out's values; problems are recorded against the reader's path. The caller
// sets `enabled` from the object's presence.
void read_config(Reader& reader, LearnedThresholdConfig& out);
void read_config(Reader& reader, QuantBoundConfig& out);
void read_config(Reader& reader, BitflipTrainingConfig& out);
void read_config(Reader& reader, SaturatingTrainingConfig& out);

// Writes the enabled objects into a training object / reads them from one (presence = on).
void robust_to_json(const LearnedThresholdConfig& lt, const QuantBoundConfig& qb, const BitflipTrainingConfig& bf,
                    const SaturatingTrainingConfig& sw, nlohmann::json& training);
void read_robust_configs(Reader& training, LearnedThresholdConfig& lt, QuantBoundConfig& qb, BitflipTrainingConfig& bf,
                         SaturatingTrainingConfig& sw);

}  // namespace faultscape
