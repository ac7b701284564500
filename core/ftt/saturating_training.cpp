#include "ftt/saturating_training.h"

#include <torch/torch.h>

#include "common/error.h"
#include "quant/quant_layers.h"

namespace faultscape {
namespace {

// The stage's Sequential rebuilt with its first child replaced (children keep their names, so the
// state-dict keys of the untouched children do not change).
void replace_first_child(Network& net, int s, const torch::nn::AnyModule& module) {
  const Stage& stage = net->stage(s);
  auto names = stage.module->named_children();
  torch::nn::Sequential seq;
  size_t k = 0;
  for (const auto& m : *stage.module) {
    seq->push_back(names[k].key(), k == 0 ? module : m);
    ++k;
  }
  seq->train(stage.module->is_training());
  net->replace_module(stage.name, seq);
  const_cast<Stage&>(stage).module = seq;  // Network exposes stages read-only
}

}  // namespace

SaturatingTraining::SaturatingTraining(Network& net, const SaturatingTrainingConfig& config)
    : net_(net), config_(config) {
  const std::string field = "training.saturating_weights.layers";
  std::vector<int> at;
  for (const auto& name : config.layers) {
    int i = net->stage_index(name);
    if (i < 0) throw ConfigError(field + ": no stage \"" + name + "\" in this model");
    at.push_back(i);
  }
  if (config.layers.empty())
    for (size_t i = 0; i < net->size(); ++i)
      if (net->stage(i).kind == "conv" || net->stage(i).kind == "linear") at.push_back(static_cast<int>(i));
  for (int s : at) {
    const Stage& stage = net->stage(s);
    if (stage.module->is_empty()) throw ConfigError(field + ": stage \"" + stage.name + "\" has no layer");
    torch::nn::AnyModule first = *stage.module->begin();
    Wrapped w{s, first, nullptr, 0};
    if (auto c = std::dynamic_pointer_cast<QuantConv2dImpl>(first.ptr())) {
      if (c->quant.bits > 0)
        throw ConfigError(field + ": stage \"" + stage.name +
                          "\" has quantized weights; saturating weights need "
                          "float weights (model.weight_bits \"float\")");
      w.stored = StoredWeight(QuantConv2d(c), config.function, config.factor);
    } else if (auto l = std::dynamic_pointer_cast<QuantLinearImpl>(first.ptr())) {
      if (l->quant.bits > 0)
        throw ConfigError(field + ": stage \"" + stage.name +
                          "\" has quantized weights; saturating weights need "
                          "float weights (model.weight_bits \"float\")");
      w.stored = StoredWeight(QuantLinear(l), config.function, config.factor);
    } else {
      throw ConfigError(field + ": stage \"" + stage.name + "\" does not start with a conv / linear layer");
    }
    w.scale = w.stored->named_buffers(false)["decode_scale"].item<double>();
    replace_first_child(net, s, torch::nn::AnyModule(w.stored));
    wrapped_.push_back(w);
    stages_.push_back(stage.name);
  }
  if (wrapped_.empty()) throw ConfigError("training.saturating_weights: the model has no conv / linear stage");
}

void SaturatingTraining::finish() {
  if (finished_) return;
  torch::NoGradGuard no_grad;
  for (auto& w : wrapped_) {
    torch::Tensor decoded = w.stored->decoded_weight();
    torch::Tensor stored = w.stored->conv ? w.stored->conv->conv->weight : w.stored->linear->linear->weight;
    stored.copy_(decoded);
    replace_first_child(net_, w.stage, w.plain);
    // The scale the weights learned to live under: `saturate` stores them with it again.
    net_->set_trained_encoding(net_->stage(w.stage).name, {config_.function, w.scale});
  }
  finished_ = true;
}

nlohmann::json SaturatingTraining::describe() const {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < wrapped_.size(); ++i) layers.push_back({{"stage", stages_[i]}, {"s", wrapped_[i].scale}});
  return {{"function", config_.function}, {"factor", config_.factor}, {"layers", layers}};
}

}  // namespace faultscape
