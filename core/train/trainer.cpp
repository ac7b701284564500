#include "train/trainer.h"

#include "train/subnetwork.h"

#include "quant/quant_layers.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "common/error.h"
#include "runtime/device.h"
#include "train/evaluate.h"
#include "train/foreach_adam.h"

namespace faultscape {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::unique_ptr<torch::optim::Optimizer> make_optimizer(Network& net, const TrainConfig& c) {
  if (c.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(
        net->parameters(), torch::optim::SGDOptions(c.lr).momentum(c.momentum).weight_decay(c.weight_decay));
  if (c.optimizer == "adam") {
    const auto options = torch::optim::AdamOptions(c.lr).weight_decay(c.weight_decay);
    // On a GPU one multi-tensor update instead of kernels per parameter (train/foreach_adam.h).
    if (!module_device(*net).is_cpu()) return std::make_unique<ForeachAdam>(net->parameters(), options);
    return std::make_unique<torch::optim::Adam>(net->parameters(), options);
  }
  throw ConfigError("training.optimizer: expected \"adam\" or \"sgd\", got \"" + c.optimizer + "\"");
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) group.options().set_lr(lr);
}

}  // namespace

void seed_everything(uint64_t seed) { torch::manual_seed(seed); }

torch::Tensor compute_loss(const std::string& loss, const torch::Tensor& logits, const torch::Tensor& labels) {
  if (loss == "squared_hinge") {
    // FINN / FAT: targets +1 for the true class, -1 elsewhere; mean of max(0, 1 - t*y)^2.
    torch::Tensor t = torch::full_like(logits, -1.0).scatter_(1, labels.unsqueeze(1), 1.0);
    return torch::clamp_min(1.0 - t * logits, 0.0).pow(2).mean();
  }
  if (loss == "cross_entropy") return torch::nn::functional::cross_entropy(logits, labels);
  throw ConfigError("training.loss: expected \"cross_entropy\" or \"squared_hinge\", got \"" + loss + "\"");
}

TrainResult train_network(Network& net, const DatasetSplit& data, const TrainConfig& config, const TrainContext& ctx) {
  if (data.train.size() == 0) throw DataError("training set is empty");
  if (ctx.hooks.on_train_begin) ctx.hooks.on_train_begin(net, data);
  auto optimizer = make_optimizer(net, config);
  compute_loss(config.loss, torch::zeros({1, 2}), torch::zeros({1}, torch::kLong));  // validates the name early
  const std::vector<int> subnetworks = bypassable_stages(net, config.subnetwork_layers, "training.subnetwork.layers");
  // Shuffling and augmentation draw on the host generator, so a seed gives the same batches on
  // every device; the images stay where the dataset is and batches move to the model's device.
  torch::Generator gen = at::detail::createCPUGenerator(config.seed);
  const c10::Device device = module_device(*net);
  const c10::Device data_device = data.train.images.device();
  const int64_t n = data.train.size();
  const int64_t batches = (n + config.batch_size - 1) / config.batch_size;
  TrainResult result;
  auto run_start = Clock::now();

  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    double lr = config.lr;
    if (config.lr_halve_every > 0) lr *= std::pow(0.5, (epoch - 1) / config.lr_halve_every);
    set_lr(*optimizer, lr);
    if (ctx.hooks.on_epoch_begin) ctx.hooks.on_epoch_begin(epoch);
    net->train();
    torch::Tensor order = torch::randperm(n, gen, torch::kLong);
    const auto on_device = torch::TensorOptions().device(device);
    torch::Tensor loss_sum = torch::zeros({}, on_device.dtype(torch::kDouble));
    torch::Tensor loss_images = torch::zeros({}, on_device.dtype(torch::kLong));
    torch::Tensor correct = torch::zeros({}, torch::TensorOptions().dtype(torch::kLong).device(device));
    auto epoch_start = Clock::now();
    for (int64_t b = 0; b < batches; ++b) {
      if (ctx.stop && ctx.stop->requested()) throw Cancelled();
      torch::Tensor idx = order.narrow(0, b * config.batch_size, std::min(config.batch_size, n - b * config.batch_size))
                              .to(data_device);
      torch::Tensor x = data.train.images.index_select(0, idx).to(device);
      torch::Tensor y = data.train.labels.index_select(0, idx).to(device);
      if (ctx.augment) x = augment_batch(x, 4, gen);
      optimizer->zero_grad();
      if (ctx.hooks.before_forward) ctx.hooks.before_forward(net);
      torch::Tensor logits = net->forward(x);
      torch::Tensor loss = compute_loss(config.loss, logits, y);
      if (!subnetworks.empty()) loss = subnetwork_loss(net, x, y, loss, subnetworks, config.loss);
      if (ctx.hooks.extra_loss) loss = loss + ctx.hooks.extra_loss(net);
      loss.backward();
      if (ctx.hooks.extra_pass) {
        const TrainHooks::LossOf loss_of = [&](const torch::Tensor& out) {
          torch::Tensor l = compute_loss(config.loss, out, y);
          if (ctx.hooks.extra_loss) l = l + ctx.hooks.extra_loss(net);
          return l;
        };
        loss = ctx.hooks.extra_pass(net, x, loss, loss_of);
      }
      if (!ctx.hooks.before_step || ctx.hooks.before_step(net, loss)) optimizer->step();
      clip_quantized_weights(*net);
      if (ctx.hooks.after_step) ctx.hooks.after_step(net);
      // A non-finite loss (a step under injected faults) is left out of the epoch's mean; summed
      // where it is computed, so a step waits for no device-to-host copy.
      torch::Tensor finite = torch::isfinite(loss.detach());
      loss_sum += torch::where(finite, loss.detach().to(torch::kDouble) * idx.size(0), torch::zeros_like(loss_sum));
      loss_images += finite.to(torch::kLong) * idx.size(0);
      correct += logits.argmax(1).eq(y).sum();
      if (ctx.observer && (b % 20 == 0 || b + 1 == batches))
        ctx.observer->on_progress({"train", (epoch - 1) * batches + b + 1, config.epochs * batches, since(run_start),
                                   "epoch " + std::to_string(epoch) + "/" + std::to_string(config.epochs)});
    }
    EpochMetrics m;
    m.epoch = epoch;
    const int64_t counted = loss_images.item<int64_t>();  // waits for the epoch's last step
    m.seconds = since(epoch_start);
    m.loss = counted > 0 ? loss_sum.item<double>() / counted : std::nan("");
    m.train_accuracy = 100.0 * static_cast<double>(correct.item<int64_t>()) / n;
    m.lr = lr;
    m.images_per_second = n / m.seconds;
    m.test_accuracy = data.test.size() ? evaluate(net, data.test, config.eval_batch_size).accuracy : 0;
    if (ctx.observer) ctx.observer->on_result(RecordKind::Epoch, m.to_json());
    result.epochs.push_back(m);
  }
  result.seconds = since(run_start);
  double train_seconds = 0;
  for (const auto& e : result.epochs) train_seconds += e.seconds;
  result.images_per_second = train_seconds > 0 ? n * config.epochs / train_seconds : 0;
  result.test_accuracy = result.epochs.empty() ? 0 : result.epochs.back().test_accuracy;
  net->eval();
  return result;
}

nlohmann::json EpochMetrics::to_json() const {
  return {
      {"epoch", epoch}, {"loss", loss},       {"train_accuracy", train_accuracy},      {"test_accuracy", test_accuracy},
      {"lr", lr},       {"seconds", seconds}, {"images_per_second", images_per_second}};
}

nlohmann::json TrainResult::to_json() const {
  nlohmann::json e = nlohmann::json::array();
  for (const auto& m : epochs) e.push_back(m.to_json());
  return {
      {"test_accuracy", test_accuracy}, {"seconds", seconds}, {"images_per_second", images_per_second}, {"epochs", e}};
}

}  // namespace faultscape
