// Protection inside residual blocks (issue: ResNets were left unprotected). Schemes that rebuild
// conv / linear stages (abft, edac, ranger, clipact, saturate, scale) are applied to each selected
// block's main path and projection shortcut (models/path_block.h) like to networks of their own,
// profiled on the block's inputs; EDAC ranks their channels by the whole network's logits.
// "layers" selects a whole block by its name, or one layer inside it as "<block>.<layer>" with
// layer conv1, conv2 or shortcut; no "layers" selects every block.
#pragma once
#include <nlohmann/json.hpp>

#include "models/network.h"
#include "protect/scheme.h"

namespace faultscape {

// `net` with the layers inside its selected blocks protected by `scheme` (details["blocks"]:
// per block, the details of its main path and shortcut); the network itself when it has none.
Network protect_inside_blocks(const Network& net, const Scheme& scheme, const ProtectionSpec& spec,
                              const ProfileData& data, nlohmann::json& details);

}  // namespace faultscape
