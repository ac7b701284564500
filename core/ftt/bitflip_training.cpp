#include "ftt/bitflip_training.h"

#include <torch/torch.h>

#include <cmath>

#include "common/error.h"

namespace faultscape {

BitflipTraining::BitflipTraining(Network& net, const BitflipTrainingConfig& config, uint64_t seed)
    : net_(net), config_(config), rng_(seed ^ 0x9e3779b97f4a7c15ULL) {
  for (const auto& name : config.layers)
    if (net->stage_index(name) < 0)
      throw ConfigError("training.bitflip_training.layers: no stage \"" + name + "\" in this model");
  fault_.kind = "bitflip";
  fault_.target = "weights";
  fault_.format = config.format;
  fault_.bit_field = config.bit_field;
  fault_.layers = config.layers;
  fault_.tensors = config.tensors;
  sites_ = weight_sites(net, fault_);
  if (sites_.empty())
    throw ConfigError("training.bitflip_training: the selected layers and tensors hold no weights to fault");
}

void BitflipTraining::inject() {
  WeightFaultSet set = sample_weight_faults(sites_, fault_, config_.ber, rng_);
  flips_ += set.bit_flips();
  log_.apply(sites_, set);
  ++steps_;
}

bool BitflipTraining::restore(const torch::Tensor& loss) {
  log_.undo(sites_);
  const double l = loss.item<double>();
  if (std::isfinite(l) && l <= config_.max_loss) return true;
  for (auto& p : net_->parameters()) p.mutable_grad() = torch::Tensor();  // the optimizer skips undefined grads
  ++skipped_;
  return false;
}

torch::Tensor BitflipTraining::faulty_pass(const torch::Tensor& x, const torch::Tensor& clean_loss,
                                           const std::function<torch::Tensor(const torch::Tensor&)>& loss_of) {
  const double a = config_.faulty_weight;
  {
    torch::NoGradGuard no_grad;
    for (auto& p : net_->parameters())
      if (p.grad().defined()) p.mutable_grad().mul_(1 - a);
  }
  inject();
  torch::Tensor faulty = loss_of(net_->forward(x));
  const double l = faulty.item<double>();
  const bool usable = std::isfinite(l) && l <= config_.max_loss;
  if (usable) (faulty * a).backward();
  log_.undo(sites_);  // the clean weights back before the optimizer step
  if (!usable) {
    ++skipped_;
    return clean_loss.detach();
  }
  return clean_loss.detach() * (1 - a) + faulty.detach() * a;
}

nlohmann::json BitflipTraining::describe() const {
  return {{"ber", config_.ber},
          {"format", config_.format},
          {"bit_field", config_.bit_field},
          {"faulty_weight", config_.faulty_weight},
          {"steps", steps_},
          {"bit_flips", flips_},
          {"skipped_steps", skipped_},
          {"weight_tensors", sites_.size()}};
}

}  // namespace faultscape
