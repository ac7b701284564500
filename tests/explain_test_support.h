// Helpers shared by the fault-explorer tests of the engine (test_explain) and the workbench
// (test_explorer).
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "faults/fault_model.h"
#include "faults/sites.h"

namespace faultscape::test {

// The stored weight tensor of a stage (the fault sites' own view of it).
inline torch::Tensor stage_weight(Network& net, const std::string& stage) {
  FaultModel f;
  f.layers = {stage};
  f.tensors = {"weight"};
  return weight_sites(net, f).at(0).tensor;
}

inline bool have_fashion() { return std::filesystem::exists("/usr/share/datasets/fashion-mnist"); }

}  // namespace faultscape::test
