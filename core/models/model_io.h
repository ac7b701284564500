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

// Whether `path` is a readable Faultscape model file (a TorchScript file has no architecture record).
bool has_architecture_record(const std::string& path);

// A model used as it is: a Faultscape model file (its own architecture), else a TorchScript file
// (torch.jit.save) imported for images of `input_shape` ({C, H, W}) in `num_classes` classes.
Network load_network(const std::string& path, const std::vector<int64_t>& input_shape, int64_t num_classes);

// Throws ModelError naming the file when it is missing, not a Faultscape model, or inconsistent.
LoadedModel load_model(const std::string& path);

// load_model's first step on its own: the network an architecture record (the JSON text stored in
// a model file) describes, its weights as initialised. Every field is validated; a damaged or
// hostile record throws ModelError naming `path` and the field (the fuzz target fuzz_model_record).
LoadedModel model_from_record(const std::string& record, const std::string& path);

}  // namespace faultscape
