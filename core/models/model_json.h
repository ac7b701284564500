// The project file's "model" object <-> ModelConfig (also the header of a saved model file).
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "common/json_reader.h"
#include "models/model_config.h"

namespace faultscape {

// Every field written explicitly, so a saved file documents the values actually used.
nlohmann::json to_json(const ModelConfig& config);

// Reads the object under `reader` into `out`: absent fields keep out's values; invalid values and
// unknown keys are recorded as problems of the reader's document.
void read_config(Reader& reader, ModelConfig& out);

// Stand-alone: start from `base`, throw ValidationError "<source>: N problem(s) ..." on problems.
ModelConfig parse_model_config(const nlohmann::json& j, const std::string& source, const ModelConfig& base = {});

}  // namespace faultscape
