// The dataset, model and training objects of a project file <-> their config structs.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/model_config.h"
#include "project/json_reader.h"
#include "train/train_config.h"

namespace faultscape {

// Every field written explicitly, so a saved file documents the values actually used.
nlohmann::json to_json(const DatasetConfig& config);
nlohmann::json to_json(const ModelConfig& config);
nlohmann::json to_json(const TrainConfig& config);

// Read the object under `reader` into `out`: absent fields keep out's values; invalid values and
// unknown keys are recorded as problems of the reader's document.
void read_config(Reader& reader, DatasetConfig& out);
void read_config(Reader& reader, ModelConfig& out);
void read_config(Reader& reader, TrainConfig& out);

// Stand-alone parsers, e.g. for a one-off experiment built from CLI options: start from `base` and
// throw ValidationError "<source>: N problem(s) ..." listing every problem.
DatasetConfig parse_dataset_config(const nlohmann::json& j, const std::string& source,
                                   const DatasetConfig& base = {});
ModelConfig parse_model_config(const nlohmann::json& j, const std::string& source,
                               const ModelConfig& base = {});
TrainConfig parse_train_config(const nlohmann::json& j, const std::string& source,
                               const TrainConfig& base = {});

}  // namespace faultscape
