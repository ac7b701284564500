#include "models/script_stage.h"

#include <algorithm>

namespace faultscape {

ScriptStageImpl::ScriptStageImpl(torch::jit::Module module) : module_(std::move(module)) {
  for (const auto& p : module_.named_parameters(/*recurse=*/true)) {
    std::string name = p.name;
    std::replace(name.begin(), name.end(), '.', '_');  // nn::Module names may not contain dots
    params_.emplace_back(p.name, register_parameter(name, p.value));
  }
  for (const auto& b : module_.named_buffers(/*recurse=*/true)) {
    std::string name = b.name;
    std::replace(name.begin(), name.end(), '.', '_');
    register_buffer(name, b.value);
  }
}

torch::Tensor ScriptStageImpl::forward(const torch::Tensor& x) {
  // A scripted module keeps its own train/eval flag: mirror ours (dropout, batch norm).
  if (module_.is_training() != is_training()) module_.train(is_training());
  return module_.forward({x}).toTensor();
}

}  // namespace faultscape
