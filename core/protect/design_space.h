// Design-space grids over protection schemes: the campaign's "protection_grid" is a list of axes;
// the grid is their cartesian product. Each axis lists alternatives: a protection list (an array
// of scheme objects; [] = no protection on this axis) or one scheme object whose array-valued
// parameters (all but "layers") expand into one alternative per value, e.g.
//   "protection_grid": [[[], {"scheme": "edac", "ratio": [0.25, 1]}, {"scheme": "tmr"}],
//                       [[], {"scheme": "ranger"}]]
// gives 4 x 2 = 8 points, each the concatenation of one alternative per axis.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "protect/protection_spec.h"

namespace faultscape {

class Problems;

struct GridPoint {
  std::string label;                                    // "edac(ratio=0.25)+ranger", "none"
  nlohmann::json protection = nlohmann::json::array();  // the scheme objects of this point
  std::vector<ProtectionSpec> schemes;                  // the same, parsed
};

// Expands and validates the grid; problems are recorded under `path` ("campaign.protection_grid").
std::vector<GridPoint> expand_protection_grid(const nlohmann::json& grid, const std::string& path, Problems& problems);

// Label of a protection list: scheme names with their explicit parameters.
std::string protection_label(const nlohmann::json& protection);

}  // namespace faultscape
