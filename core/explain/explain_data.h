// The data of an explanation as the figures plot it: CSV text (what `faultscape-cli explain` writes,
// with the same columns as the figures' own CSV) and the JSON the torch-free widgets take.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "explain/explainer.h"

namespace faultscape {

// stage,kind,max_abs,l2,corrupted,nonfinite,numel (one row per stage, image 0 of a batch of one).
std::string propagation_csv(const Explanation& ex);
// class,name,golden,faulty (image 0).
std::string probabilities_csv(const Explanation& ex, const std::vector<std::string>& class_names);
// channel,row,column,golden,faulty,difference of one channel of stage `stage` (image 0). Outputs
// are seen as [C, H, W]: a vector [F] as one channel of 1 x F, [C, L] as C channels of 1 x L.
std::string feature_map_csv(const Explanation& ex, int stage, int64_t channel);
// {"stage", "shape", "golden": [...], "faulty": [...]} of stage `stage` (image 0).
nlohmann::json feature_maps_json(const Explanation& ex, int stage);
// The channel of stage `stage` with the largest |faulty - golden| (a NaN / Inf counts as largest).
int64_t worst_channel(const Explanation& ex, int stage);

// Writes text to path, throwing StoreError naming the path when it cannot.
void write_text(const std::string& path, const std::string& text);

}  // namespace faultscape
