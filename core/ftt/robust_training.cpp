#include "ftt/robust_training.h"

#include <torch/torch.h>

#include <sstream>

namespace faultscape {

RobustTraining::RobustTraining(Network& net, const TrainConfig& config, Observer* observer) : observer_(observer) {
  // Gates first (they end the ReLU stages before other variants look for activation stages),
  // then the wrapped layers, so the bit-flip sites are the stored (saturating) parameters.
  if (config.learned_threshold.enabled)
    thresholds_ = std::make_unique<LearnedThresholdTraining>(net, config.learned_threshold, config.epochs);
  if (config.saturating_weights.enabled)
    saturating_ = std::make_unique<SaturatingTraining>(net, config.saturating_weights);
  if (config.quant_bound.enabled) qbound_ = std::make_unique<QuantBoundTraining>(net, config.quant_bound);
  if (config.bitflip_training.enabled)
    bitflip_ = std::make_unique<BitflipTraining>(net, config.bitflip_training, config.seed);
}

void RobustTraining::install(TrainHooks& hooks) {
  if (!any()) return;
  LearnedThresholdTraining* th = thresholds_.get();
  QuantBoundTraining* qb = qbound_.get();
  BitflipTraining* bf = bitflip_.get();
  Observer* observer = observer_;
  auto data = data_;
  auto profile = [th, observer](const DatasetSplit& d, int epoch) {
    th->profile(d.train.images);
    if (!observer) return;
    std::ostringstream log;
    if (epoch == 1)
      log << "warning: learned thresholds profiled on the untrained network (they will cut the "
             "activations' growth; set learned_threshold.epochs below training.epochs)\n";
    log << "learned thresholds profiled before epoch " << epoch << ":";
    for (const auto& g : th->gates()) log << " " << g->threshold.mean().item<double>();
    observer->on_log(log.str());
  };

  auto begin = hooks.on_train_begin;
  hooks.on_train_begin = [begin, th, data, profile](Network& net, const DatasetSplit& d) {
    if (begin) begin(net, d);
    *data = &d;
    if (th && th->start_epoch() == 1) profile(d, 1);
  };
  auto epoch_begin = hooks.on_epoch_begin;
  hooks.on_epoch_begin = [epoch_begin, th, data, profile](int epoch) {
    if (epoch_begin) epoch_begin(epoch);
    if (th && epoch == th->start_epoch() && epoch > 1 && *data) profile(**data, epoch);
  };
  if (th || qb) {
    auto extra = hooks.extra_loss;
    hooks.extra_loss = [extra, th, qb](Network& net) {
      torch::Tensor r = extra ? extra(net) : torch::zeros({});
      if (th) r = r + th->regulariser();
      if (qb) r = r + qb->regulariser();
      return r;
    };
    auto after = hooks.after_step;
    hooks.after_step = [after, th, qb](Network& net) {
      if (after) after(net);
      if (th) th->clamp();
      if (qb) qb->clamp();
    };
  }
  if (bf && !bf->single_pass()) {
    auto extra = hooks.extra_pass;
    hooks.extra_pass = [extra, bf](Network& net, const torch::Tensor& x, const torch::Tensor& loss,
                                   const TrainHooks::LossOf& loss_of) {
      const torch::Tensor l = extra ? extra(net, x, loss, loss_of) : loss;
      return bf->faulty_pass(x, l, loss_of);
    };
  } else if (bf) {
    auto before = hooks.before_forward;
    hooks.before_forward = [before, bf](Network& net) {
      if (before) before(net);
      bf->inject();
    };
    auto before_step = hooks.before_step;
    hooks.before_step = [before_step, bf](Network& net, const torch::Tensor& loss) {
      bool step = bf->restore(loss);  // always restore, whatever the other hook says
      return (before_step ? before_step(net, loss) : true) && step;
    };
  }
}

void RobustTraining::finish() {
  if (saturating_) saturating_->finish();
}

nlohmann::json RobustTraining::describe() const {
  nlohmann::json j = nlohmann::json::object();
  if (thresholds_) j["learned_threshold"] = thresholds_->describe();
  if (qbound_) j["quant_bound"] = qbound_->describe();
  if (bitflip_) j["bitflip_training"] = bitflip_->describe();
  if (saturating_) j["saturating_weights"] = saturating_->describe();
  return j;
}

}  // namespace faultscape
