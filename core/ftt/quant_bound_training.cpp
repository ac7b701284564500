#include "ftt/quant_bound_training.h"

#include <torch/torch.h>

#include "common/error.h"
#include "quant/quant_layers.h"
#include "quant/quantizer.h"

namespace faultscape {

QuantBoundTraining::QuantBoundTraining(Network& net, const QuantBoundConfig& config) : config_(config) {
  for (const auto& item : net->named_modules()) {
    torch::nn::Module* m = item.value().get();
    const char* key = nullptr;
    if (dynamic_cast<QuantActImpl*>(m))
      key = "bound";
    else if (config.weights && (dynamic_cast<QuantConv2dImpl*>(m) || dynamic_cast<QuantLinearImpl*>(m)))
      key = "weight_bound";
    if (!key) continue;
    // named_parameters returns its dictionary by value: keep it alive while `p` points into it.
    const auto params = m->named_parameters(false);
    if (const torch::Tensor* p = params.find(key)) {
      names_.push_back(item.key() + "." + key);
      bounds_.push_back(*p);
      initial_.push_back(p->item<double>());
    }
  }
  if (bounds_.empty())
    throw ConfigError(
        "training.quant_bound: the model has no learnable quantization bound: set model.learnable_clip "
        "to true with model.act_bits (or weight_bits) 1-8");
}

torch::Tensor QuantBoundTraining::regulariser() const {
  torch::Tensor r = torch::zeros({});
  if (config_.lambda == 0) return r;
  for (const auto& a : bounds_) r = r + (config_.penalty == "l2" ? a.pow(2) : a);
  return config_.lambda * r;
}

void QuantBoundTraining::clamp() {
  torch::NoGradGuard no_grad;
  for (auto& a : bounds_) a.clamp_min_(config_.min_bound);
}

nlohmann::json QuantBoundTraining::describe() const {
  nlohmann::json bounds = nlohmann::json::array();
  for (size_t i = 0; i < bounds_.size(); ++i)
    bounds.push_back({{"name", names_[i]}, {"initial", initial_[i]}, {"final", bounds_[i].item<double>()}});
  return {{"lambda", config_.lambda}, {"penalty", config_.penalty}, {"bounds", bounds}};
}

}  // namespace faultscape
