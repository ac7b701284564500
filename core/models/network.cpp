#include "models/network.h"

#include <torch/torch.h>

namespace faultscape {

NetworkImpl::NetworkImpl(ModelConfig config, std::vector<int64_t> input_shape, int64_t num_classes)
    : config_(std::move(config)), input_shape_(std::move(input_shape)), num_classes_(num_classes) {}

void NetworkImpl::add_stage(const std::string& name, const std::string& kind, torch::nn::Sequential module) {
  register_module(name, module);
  stages_.push_back({name, kind, module});
}

torch::Tensor NetworkImpl::forward_range(torch::Tensor x, size_t begin, size_t end) {
  for (size_t i = begin; i < end && i < stages_.size(); ++i) x = stages_[i].module->forward(x);
  return x;
}

int NetworkImpl::stage_index(const std::string& name) const {
  for (size_t i = 0; i < stages_.size(); ++i)
    if (stages_[i].name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace faultscape
