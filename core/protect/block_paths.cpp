#include "protect/block_paths.h"

#include <torch/torch.h>

#include <algorithm>

#include "common/error.h"
#include "models/module_copy.h"
#include "models/path_block.h"
#include "protect/profile.h"
#include "protect/stage_tools.h"

namespace faultscape {
namespace {

// The names of spec.layers inside block `block` for one of its paths: empty with all = true when
// the whole path is selected, empty with all = false when none of it is.
std::vector<std::string> path_layers(const ProtectionSpec& spec, const std::string& block, const Network& path,
                                     bool& all) {
  all = spec.layers.empty() || std::count(spec.layers.begin(), spec.layers.end(), block) > 0;
  std::vector<std::string> out;
  if (all) return out;
  for (const auto& name : spec.layers)
    if (name.rfind(block + ".", 0) == 0 && path->stage_index(name.substr(block.size() + 1)) >= 0)
      out.push_back(name.substr(block.size() + 1));
  return out;
}

Network protect_path(const Network& path, const std::vector<std::string>& layers, bool all, const Scheme& scheme,
                     const ProtectionSpec& spec, const ProfileData& data, nlohmann::json& details) {
  if (!all && layers.empty()) {
    details = nullptr;
    return copy_network(path);
  }
  ProtectionSpec inner = spec;
  inner.layers = layers;
  details = nlohmann::json::object();
  Network out = scheme.apply(path, inner, data, details);
  out->eval();
  return out;
}

}  // namespace

void check_block_layer_names(const Network& net, const ProtectionSpec& spec) {
  for (const auto& name : spec.layers) {
    const size_t dot = name.find('.');
    if (dot == std::string::npos) continue;
    const int i = net->stage_index(name.substr(0, dot));
    const std::string layer = name.substr(dot + 1);
    PathBlock b = i >= 0 && net->stage(i).kind == "block" ? path_block_of(net->stage(i)) : PathBlock(nullptr);
    const bool found = b && (b->main->stage_index(layer) >= 0 || (b->shortcut && b->shortcut->stage_index(layer) >= 0));
    if (!found)
      throw ConfigError(spec.path + ".layers: no layer \"" + name +
                        "\" in this model (inside a residual block: <block>.conv1, <block>.conv2, <block>.shortcut)");
  }
}

std::vector<std::string> selected_path_layers(const ProtectionSpec& spec, const std::string& block,
                                              const Network& path) {
  bool all = false;
  std::vector<std::string> names = path_layers(spec, block, path, all);
  if (!all) return names;
  for (const auto& s : path->stages())
    if (is_layer(s)) names.push_back(s.name);
  return names;
}

Network with_path_blocks(const Network& net, const ProtectionSpec& spec, std::set<std::string>& selected) {
  Network whole = empty_like(net);
  for (const auto& s : net->stages()) {
    PathBlock b = has_paths(s) ? path_block_of(s) : PathBlock(nullptr);
    bool all = false, chosen = false;
    if (b) {
      chosen = !path_layers(spec, s.name, b->main, all).empty() || all;
      if (b->shortcut) chosen = chosen || !path_layers(spec, s.name, b->shortcut, all).empty();
    }
    if (chosen) {
      whole->add_stage(s.name, s.kind, torch::nn::Sequential(b));
      selected.insert(s.name);
    } else {
      copy_stage(whole, s);
    }
  }
  whole->eval();
  return whole;
}

Network protect_inside_blocks(const Network& net, const Scheme& scheme, const ProtectionSpec& spec,
                              const ProfileData& data, nlohmann::json& details) {
  check_block_layer_names(net, spec);
  bool any = false;
  for (const auto& s : net->stages()) any = any || has_paths(s);
  if (!any) return net;
  // The selected blocks as path blocks, in a network whose logits their layers' effects are measured on.
  std::set<std::string> selected;
  Network whole = with_path_blocks(net, spec, selected);
  if (selected.empty()) return net;
  torch::Tensor images;
  if (data.images.defined() && data.images.size(0) > 0)
    images = data.images.narrow(0, 0, std::min<int64_t>(spec.profile_images, data.images.size(0)));
  Network out = empty_like(net);
  nlohmann::json blocks = nlohmann::json::object();
  for (size_t i = 0; i < whole->size(); ++i) {
    const Stage& s = whole->stage(i);
    if (!selected.count(s.name)) {
      copy_stage(out, s);
      continue;
    }
    auto* b = s.module->begin()[0].ptr()->as<PathBlockImpl>();
    // The block's inputs as the network protected so far computes them.
    torch::Tensor inputs = images;
    if (images.defined() && out->size() > 0)
      inputs = profile_stage_outputs(out, static_cast<int>(out->size()) - 1, images);
    ProfileData inner{inputs, torch::Tensor(), whole, images};
    bool all = false;
    nlohmann::json d_main, d_short;
    std::vector<std::string> layers = path_layers(spec, s.name, b->main, all);
    Network main = protect_path(b->main, layers, all, scheme, spec, inner, d_main);
    Network shortcut(nullptr);
    if (b->shortcut) {
      layers = path_layers(spec, s.name, b->shortcut, all);
      shortcut = protect_path(b->shortcut, layers, all, scheme, spec, inner, d_short);
    }
    out->add_stage(s.name, s.kind, torch::nn::Sequential(PathBlock(main, shortcut, copy_sequential(b->act))));
    blocks[s.name] = {{"main", d_main}, {"shortcut", d_short}};
  }
  out->eval();
  details["blocks"] = blocks;
  return out;
}

}  // namespace faultscape
