// Protection inside residual blocks. Schemes that rebuild
// conv / linear stages (abft, edac, ranger, clipact, saturate, scale) are applied to each selected
// block's main path and projection shortcut (models/path_block.h) like to networks of their own,
// profiled on the block's inputs; EDAC ranks their channels by the whole network's logits.
// "layers" selects a whole block by its name, or one layer inside it as "<block>.<layer>" with
// layer conv1, conv2 or shortcut; no "layers" selects every block.
#pragma once
#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "models/network.h"
#include "protect/scheme.h"

namespace faultscape {

// Throws ConfigError naming spec.path + ".layers" for a "<block>.<layer>" that names no layer.
void check_block_layer_names(const Network& net, const ProtectionSpec& spec);

// The conv / linear stages of `path` (a path of block `block`) that spec.layers selects: all of
// them when it is empty or names the block.
std::vector<std::string> selected_path_layers(const ProtectionSpec& spec, const std::string& block,
                                              const Network& path);

// A copy of `net` whose blocks with selected layers are PathBlocks (their names in `selected`).
Network with_path_blocks(const Network& net, const ProtectionSpec& spec, std::set<std::string>& selected);

// `net` with the layers inside its selected blocks protected by `scheme` (details["blocks"]:
// per block, the details of its main path and shortcut); the network itself when it has none.
Network protect_inside_blocks(const Network& net, const Scheme& scheme, const ProtectionSpec& spec,
                              const ProfileData& data, nlohmann::json& details);

}  // namespace faultscape
