// Model summary: per stage output shape, parameters and MACs (per image).
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "models/network.h"

namespace faultscape {

struct StageSummary {
  std::string name;
  std::string kind;
  std::vector<int64_t> output_shape;  // without the batch dimension
  int64_t params = 0;
  int64_t macs = 0;
};

struct ModelSummary {
  std::vector<StageSummary> stages;
  int64_t params = 0;
  int64_t macs = 0;
  nlohmann::json to_json() const;
  std::string to_table() const;  // aligned text for the terminal
};

// Runs one image through the network (eval mode, no grad) to measure shapes and MACs.
ModelSummary summarize(Network& net);

}  // namespace faultscape
