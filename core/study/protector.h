// Applying an experiment's protection schemes to its network, with the overhead they cost.
#pragma once
#include <nlohmann/json.hpp>

#include <vector>

#include "common/observer.h"
#include "data/dataset.h"
#include "models/network.h"
#include "protect/protection_spec.h"

namespace faultscape {

// The protected network of `specs` (profiled on training images) and what the protection costs,
// as {"protection": {"schemes": [...], "overhead": {...}}} for the campaign summary.
Network protect_network(Network& net, const std::vector<ProtectionSpec>& specs, const DatasetSplit& data,
                        nlohmann::json& info, Observer* observer);

}  // namespace faultscape
