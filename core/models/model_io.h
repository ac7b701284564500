// Trained model files: the weights plus the architecture config (and free-form metadata such as
// the dataset and training metrics), in one LibTorch archive, so a campaign can rebuild and reuse
// the exact network.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "models/network.h"

namespace faultscape {

struct LoadedModel {
  Network net{nullptr};
  nlohmann::json meta;  // {"model": ..., "input_shape": ..., "num_classes": ..., plus what save_model got}
};

// Writes atomically (temporary file, then rename). `meta` is stored alongside the architecture.
void save_model(Network& net, const std::string& path, const nlohmann::json& meta = nlohmann::json::object());

// Throws ModelError naming the file when it is missing, not a Faultscape model, or inconsistent.
LoadedModel load_model(const std::string& path);

}  // namespace faultscape
