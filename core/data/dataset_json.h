// The project file's "dataset" object <-> DatasetConfig.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "common/json_reader.h"
#include "data/dataset.h"

namespace faultscape {

// Every field written explicitly, so a saved file documents the values actually used.
nlohmann::json to_json(const DatasetConfig& config);

// Reads the object under `reader` into `out`: absent fields keep out's values; invalid values and
// unknown keys are recorded as problems of the reader's document.
void read_config(Reader& reader, DatasetConfig& out);

// Stand-alone: start from `base`, throw ValidationError "<source>: N problem(s) ..." on problems.
DatasetConfig parse_dataset_config(const nlohmann::json& j, const std::string& source, const DatasetConfig& base = {});

}  // namespace faultscape
