// The dataset, model and training objects of a project file <-> their config structs. The dataset
// and model readers live in their layers (data/, models/); the training reader is here because its
// sections (fault-aware training, robust training) are read by ftt/.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "common/json_reader.h"
#include "data/dataset_json.h"
#include "models/model_json.h"
#include "train/train_config.h"

namespace faultscape {

// Every field written explicitly (sections only when on), so a saved file documents the values used.
nlohmann::json to_json(const TrainConfig& config);

// Reads the object under `reader` into `out`: absent fields keep out's values; invalid values and
// unknown keys are recorded as problems of the reader's document.
void read_config(Reader& reader, TrainConfig& out);

// Stand-alone: start from `base`, throw ValidationError "<source>: N problem(s) ..." on problems.
TrainConfig parse_train_config(const nlohmann::json& j, const std::string& source, const TrainConfig& base = {});

}  // namespace faultscape
