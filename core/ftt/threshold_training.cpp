#include "ftt/threshold_training.h"
#include "runtime/device.h"

#include <torch/torch.h>

#include <cmath>

#include "common/error.h"
#include "models/stage_edit.h"

namespace faultscape {
namespace {

bool ends_in_relu(const Stage& s) {
  if (s.kind == "pool" || s.module->is_empty()) return false;
  return dynamic_cast<const torch::nn::ReLUImpl*>(s.module->children().back().get()) != nullptr;
}

// Output channels (dimension 1) of every stage, from a probe batch in inference mode.
std::vector<int64_t> stage_channels(Network& net) {
  torch::NoGradGuard no_grad;
  const bool training = net->is_training();
  net->eval();
  std::vector<int64_t> shape = {2};
  shape.insert(shape.end(), net->input_shape().begin(), net->input_shape().end());
  torch::Tensor x = torch::zeros(shape, torch::TensorOptions().device(module_device(*net)));
  std::vector<int64_t> out;
  for (size_t i = 0; i < net->size(); ++i) {
    x = net->forward_range(x, i, i + 1);
    out.push_back(x.dim() >= 2 ? x.size(1) : 1);
  }
  net->train(training);
  return out;
}

nlohmann::json values(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
  if (c.dim() == 0) return c.item<double>();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace

std::vector<int> relu_stages(const Network& net, const std::vector<std::string>& names, const std::string& field) {
  std::vector<int> out;
  const int last = static_cast<int>(net->size()) - 1;
  if (names.empty()) {
    for (int i = 0; i < last; ++i)
      if (ends_in_relu(net->stage(i))) out.push_back(i);
    if (out.empty())
      throw ConfigError(field +
                        ": the model has no ReLU stage (learned thresholds filter ReLU outputs; quantized "
                        "activations are bounded by their clip, see training.quant_bound)");
    return out;
  }
  for (int i : activation_stages(net, names, field)) {  // validates the names
    if (!ends_in_relu(net->stage(i)))
      throw ConfigError(field + ": stage \"" + net->stage(i).name +
                        "\" does not end in a ReLU (learned thresholds filter ReLU outputs)");
    out.push_back(i);
  }
  return out;
}

void profile_thresholds(Network& net, const std::vector<ThresholdReLU>& gates, const torch::Tensor& images,
                        double percentile) {
  torch::NoGradGuard no_grad;
  const bool training = net->is_training();
  net->eval();
  const double inf = std::numeric_limits<double>::infinity();
  for (const auto& g : gates) g->threshold.fill_(inf);  // pass-through while profiling
  std::vector<std::vector<torch::Tensor>> seen(gates.size());
  for (int64_t b = 0; b < images.size(0); b += 256) {
    torch::Tensor x = images.narrow(0, b, std::min<int64_t>(256, images.size(0) - b));
    for (size_t s = 0; s < net->size(); ++s) {
      torch::nn::Sequential seq = net->stage(s).module;  // shares the stage's module
      bool gated = false;
      for (const auto& m : *seq) gated = gated || dynamic_cast<ThresholdReLUImpl*>(m.ptr().get());
      if (!gated) {
        x = seq->forward(x);
        continue;
      }
      for (auto& m : *seq) {
        for (size_t g = 0; g < gates.size(); ++g)
          if (m.ptr().get() == gates[g].get()) seen[g].push_back(x.clone());
        x = m.forward(x);
      }
    }
  }
  for (size_t g = 0; g < gates.size(); ++g) {
    if (seen[g].empty()) throw ModelError("learned threshold: a gate is not part of the network");
    torch::Tensor all = torch::cat(seen[g]);
    torch::Tensor rows =
        gates[g]->channels() > 0 ? all.transpose(0, 1).reshape({gates[g]->channels(), -1}) : all.reshape({1, -1});
    const int64_t n = rows.size(1);
    const int64_t k = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(percentile / 100.0 * n)), 1, n);
    torch::Tensor t = std::get<0>(rows.kthvalue(k, 1));
    gates[g]->threshold.copy_(gates[g]->channels() > 0 ? t : t.reshape({}));
  }
  net->train(training);
}

LearnedThresholdTraining::LearnedThresholdTraining(Network& net, const LearnedThresholdConfig& config, int total_epochs)
    : net_(net), config_(config) {
  start_epoch_ = config.epochs <= 0 || config.epochs >= total_epochs ? 1 : total_epochs - config.epochs + 1;
  std::vector<int> at = relu_stages(net, config.layers, "training.learned_threshold.layers");
  std::vector<int64_t> channels = stage_channels(net);
  for (int s : at) {
    ThresholdReLU gate(config.granularity == "channel" ? channels[s] : 0, config.sharpness);
    append_to_stage(net, s, gate);
    gates_.push_back(gate);
    stages_.push_back(net->stage(s).name);
  }
}

void LearnedThresholdTraining::profile(const torch::Tensor& train_images) {
  const int64_t n = std::min(config_.profile_images, train_images.size(0));
  profile_thresholds(net_, gates_, train_images.narrow(0, 0, n), config_.init_percentile);
  profiled_.clear();
  for (const auto& g : gates_) profiled_.push_back(g->threshold.detach().clone());
  active_ = true;
}

torch::Tensor LearnedThresholdTraining::regulariser() const {
  torch::Tensor r = torch::zeros({});
  if (!active_ || config_.lambda == 0) return r;
  for (const auto& g : gates_) r = r + (config_.penalty == "l2" ? g->threshold.pow(2).sum() : g->threshold.sum());
  return config_.lambda * r;
}

void LearnedThresholdTraining::clamp() {
  torch::NoGradGuard no_grad;
  if (active_)
    for (const auto& g : gates_) g->threshold.clamp_min_(0.0);
}

nlohmann::json LearnedThresholdTraining::describe() const {
  nlohmann::json gates = nlohmann::json::array();
  for (size_t i = 0; i < gates_.size(); ++i) {
    nlohmann::json g = {{"stage", stages_[i]}, {"threshold", values(gates_[i]->threshold)}};
    if (i < profiled_.size()) g["profiled"] = values(profiled_[i]);
    gates.push_back(g);
  }
  return {{"granularity", config_.granularity},         {"lambda", config_.lambda},    {"penalty", config_.penalty},
          {"init_percentile", config_.init_percentile}, {"start_epoch", start_epoch_}, {"gates", gates}};
}

}  // namespace faultscape
