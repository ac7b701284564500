// A TorchScript module used as (part of) a Network stage. Its parameters are registered with the
// stage, sharing storage, so training, model files and weight faults reach the scripted weights.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/script.h>

#include <string>

namespace faultscape {

class ScriptStageImpl : public torch::nn::Module {
 public:
  explicit ScriptStageImpl(torch::jit::Module module);
  torch::Tensor forward(const torch::Tensor& x);
  // The scripted parameters with their TorchScript names ("0.weight", "conv.bias", ...).
  const std::vector<std::pair<std::string, torch::Tensor>>& script_parameters() const { return params_; }

 private:
  torch::jit::Module module_;
  std::vector<std::pair<std::string, torch::Tensor>> params_;
};
TORCH_MODULE(ScriptStage);

}  // namespace faultscape
