#include "models/channel_layers.h"

#include <torch/torch.h>

#include "common/error.h"

namespace faultscape {

int64_t ChannelLayer::channels() const { return weight().size(0); }

torch::Tensor ChannelLayer::weight() const { return conv ? conv->conv->weight : linear->linear->weight; }

torch::Tensor ChannelLayer::bias() const { return conv ? conv->conv->bias : linear->linear->bias; }

bool channel_layer(const Network& net, int stage, ChannelLayer& out) {
  const Stage& s = net->stage(stage);
  if (s.module->is_empty()) return false;
  torch::nn::Module* first = s.module->children().front().get();
  out = {stage, dynamic_cast<QuantConv2dImpl*>(first), dynamic_cast<QuantLinearImpl*>(first)};
  return out.conv || out.linear;
}

std::vector<ChannelLayer> channel_layers(const Network& net, const std::vector<std::string>& names) {
  std::vector<ChannelLayer> out;
  const int last = static_cast<int>(net->size()) - 1;
  for (int i = 0; i < last; ++i) {
    ChannelLayer l;
    if (!channel_layer(net, i, l)) continue;
    if (names.empty() || std::count(names.begin(), names.end(), net->stage(i).name)) out.push_back(l);
  }
  for (const auto& n : names) {
    bool found = false;
    for (const auto& l : out) found = found || net->stage(l.stage).name == n;
    if (!found) throw ConfigError("layers: \"" + n + "\" is not a prunable conv / linear stage of this model");
  }
  return out;
}

}  // namespace faultscape
