#include "ftt/fault_aware.h"

#include <torch/torch.h>

#include "common/error.h"
#include "models/stage_edit.h"
#include "quant/quantizer.h"

namespace faultscape {

QuantizerStuckValues auto_stuck_source(const Network& net, int stage) {
  // Pooling and flattening keep the values of the stage before: look back to the last quantizer.
  for (int s = stage; s >= 0; --s) {
    const QuantActImpl* act = nullptr;
    for (const auto& m : net->stage(s).module->modules())
      if (auto* a = dynamic_cast<const QuantActImpl*>(m.get())) act = a;
    if (act) {
      const int64_t n = quant_max_level(act->bits());
      QuantizerStuckValues v;
      v.levels = act->bits() <= 1 ? std::vector<double>{-1.0, 1.0}
                                  : std::vector<double>{-static_cast<double>(n), 0.0, static_cast<double>(n)};
      v.bound = act->bound_tensor();
      v.max_level = n;
      return v;
    }
    const std::string& kind = net->stage(s).kind;
    if (kind != "pool" && kind != "flatten") break;
  }
  throw ConfigError("training.fault_aware.stuck_values: \"auto\" needs quantized activations at stage \"" +
                    net->stage(stage).name + "\" (model.act_bits); give the values, e.g. [0]");
}

std::vector<double> auto_stuck_values(const Network& net, int stage) {
  return ErrorInjectionImpl(auto_stuck_source(net, stage), 0.0, Granularity::Element).stuck_values();
}

FaultAwareTraining::FaultAwareTraining(Network& net, const FatConfig& config, int epochs, uint64_t seed)
    : net_(net), config_(config), epochs_(epochs), rng_(seed ^ 0xfa7fa7ULL) {
  if (config.method != 1 && config.method != 2)
    throw ConfigError("training.fault_aware.method: expected 1 or 2, got " + std::to_string(config.method));
  Granularity g = parse_granularity(config.granularity);
  for (int s : activation_stages(net, config.layers, "training.fault_aware.layers")) {
    ErrorInjection layer = config.stuck_values.empty() ? ErrorInjection(auto_stuck_source(net, s), config.p, g)
                                                       : ErrorInjection(config.stuck_values, config.p, g);
    layer->set_enabled(false);
    append_to_stage(net, s, layer);
    points_.push_back({s, net->stage(s).name, layer});
    names_.push_back(net->stage(s).name);
  }
}

double FaultAwareTraining::p_at(int epoch) const {
  if (config_.p_end < 0 || epochs_ <= 1) return config_.p;
  double t = static_cast<double>(std::clamp(epoch, 1, epochs_) - 1) / (epochs_ - 1);
  return config_.p + (config_.p_end - config_.p) * t;
}

void FaultAwareTraining::begin_epoch(int epoch) {
  if (points_.empty()) return;
  const double p = p_at(epoch);
  int chosen = -1;
  if (config_.method == 2) {
    chosen = std::uniform_int_distribution<int>(0, static_cast<int>(points_.size()) - 1)(rng_);
    choices_.push_back(chosen);
  }
  for (size_t i = 0; i < points_.size(); ++i) {
    points_[i].layer->set_p(p);
    points_[i].layer->set_enabled(config_.method == 1 || static_cast<int>(i) == chosen);
  }
}

void FaultAwareTraining::disable_all() {
  for (auto& pt : points_) pt.layer->set_enabled(false);
}

void FaultAwareTraining::remove() {
  disable_all();
  remove_from_stages(net_, [](const torch::nn::Module& m) { return dynamic_cast<const ErrorInjectionImpl*>(&m); });
  points_.clear();
}

int FaultAwareTraining::enabled_count() const {
  int n = 0;
  for (const auto& pt : points_) n += pt.layer->enabled();
  return n;
}

nlohmann::json FaultAwareTraining::describe() const {
  nlohmann::json chosen = nlohmann::json::array();
  for (int c : choices_) chosen.push_back(names_[c]);
  return {{"method", config_.method},           {"p", config_.p},   {"p_end", config_.p_end},
          {"granularity", config_.granularity}, {"layers", names_}, {"epoch_layers", chosen}};
}

}  // namespace faultscape
