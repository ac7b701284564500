// Adding training-only modules to the end of a stage and taking them out again, so a trained
// network is left with exactly its original modules (same state-dict keys, same campaign fast paths).
#pragma once
#include <torch/nn/module.h>

#include <functional>
#include <string>
#include <vector>

#include "models/network.h"

namespace faultscape {

// Appends `module` (a holder such as ErrorInjection) to the Sequential of stage `stage`.
template <class Holder>
void append_to_stage(Network& net, int stage, const Holder& module) {
  torch::nn::Sequential seq = net->stage(stage).module;  // shares the stage's module
  seq->push_back(module);
}

// Removes every child module of every stage for which `match` is true; returns how many.
int remove_from_stages(Network& net, const std::function<bool(const torch::nn::Module&)>& match);

// Stages whose output is an activation or a pooling result (FAT Fig. 5: injection goes after the
// activation or pooling layer), the logits stage excluded; or the named stages, validated.
// `field` names the JSON field in error messages ("training.fault_aware.layers").
std::vector<int> activation_stages(const Network& net, const std::vector<std::string>& names, const std::string& field);

}  // namespace faultscape
