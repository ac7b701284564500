// For schemes that replace a layer by a wrapper around it (abft, saturate, scale).
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "models/module_copy.h"
#include "models/network.h"
#include "protect/protection_spec.h"
#include "protect/stage_tools.h"
#include "quant/quant_layers.h"

namespace faultscape {

// Replaces the leading conv / linear layer of each targeted stage with `wrap(layer copy, stage
// name)`, where wrap accepts a QuantConv2d and a QuantLinear; details["layers"] lists the wrapped
// stages.
template <class Wrap>
Network wrap_layers(const Network& net, const ProtectionSpec& spec, nlohmann::json& details, Wrap wrap) {
  std::vector<bool> on = targets(net, spec, false);
  Network out = empty_like(net);
  std::vector<std::string> done;
  for (size_t i = 0; i < net->size(); ++i) {
    const Stage& s = net->stage(i);
    if (!on[i]) {
      copy_stage(out, s);
      continue;
    }
    torch::nn::AnyModule layer = copy_any(leading_layer(s, spec));
    torch::nn::Sequential seq;
    bool first = true;
    for (const auto& m : *s.module) {
      if (first) {
        auto conv = std::dynamic_pointer_cast<QuantConv2dImpl>(layer.ptr());
        auto lin = std::dynamic_pointer_cast<QuantLinearImpl>(layer.ptr());
        seq->push_back(conv ? wrap(QuantConv2d(conv), s.name) : wrap(QuantLinear(lin), s.name));
        first = false;
      } else {
        seq->push_back(copy_any(m));
      }
    }
    seq->eval();
    out->add_stage(s.name, s.kind, seq);
    done.push_back(s.name);
  }
  details["layers"] = done;
  return out;
}

}  // namespace faultscape
