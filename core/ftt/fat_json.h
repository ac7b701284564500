// The "training.fault_aware" and "training.dropout" objects of a project file <-> their structs.
#pragma once
#include <nlohmann/json.hpp>

#include "train/fat_config.h"
#include "common/json_reader.h"

namespace faultscape {

nlohmann::json to_json(const FatConfig& config);
nlohmann::json to_json(const DropoutConfig& config);

// Absent fields keep out's values; problems are recorded against the reader's path.
void read_config(Reader& reader, FatConfig& out);
void read_config(Reader& reader, DropoutConfig& out);

}  // namespace faultscape
