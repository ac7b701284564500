#include "models/channel_narrow.h"
#include "runtime/device.h"

#include <torch/torch.h>

#include <algorithm>

#include "models/max_pool.h"
#include "common/error.h"
#include "models/channel_layers.h"
#include "models/threshold_relu.h"

namespace faultscape {
namespace {

// Replaces a registered tensor's data by a narrowed copy; the module keeps the same tensor object,
// so every holder of it (optimizers built later, the state dict) sees the new shape.
void shrink(torch::Tensor& t, int64_t dim, const torch::Tensor& index) {
  if (!t.defined()) return;
  torch::NoGradGuard no_grad;
  t.set_(t.index_select(dim, index).clone());
  if (t.grad().defined()) t.mutable_grad() = torch::Tensor();
}

template <class BatchNorm>
bool shrink_batch_norm(torch::nn::Module* m, const torch::Tensor& index) {
  auto* bn = dynamic_cast<BatchNorm*>(m);
  if (!bn) return false;
  for (torch::Tensor* t : {&bn->weight, &bn->bias, &bn->running_mean, &bn->running_var}) shrink(*t, 0, index);
  bn->options.num_features(index.numel());
  return true;
}

bool passes_channels(const Stage& s) {
  for (const auto& m : s.module->children()) {
    auto* p = m.get();
    if (!dynamic_cast<torch::nn::MaxPool2dImpl*>(p) && !dynamic_cast<MaxPoolImpl*>(p) &&
        !dynamic_cast<torch::nn::AvgPool2dImpl*>(p) && !dynamic_cast<torch::nn::AdaptiveAvgPool2dImpl*>(p) &&
        !dynamic_cast<torch::nn::FlattenImpl*>(p) && !dynamic_cast<torch::nn::DropoutImpl*>(p))
      return false;
  }
  return true;
}

}  // namespace

void prune_stage_channels(Network& net, int stage, const std::vector<int64_t>& keep) {
  ChannelLayer layer;
  const std::string& name = net->stage(stage).name;
  if (!channel_layer(net, stage, layer) || stage + 1 >= static_cast<int>(net->size()))
    throw ModelError(name + ": not a prunable conv / linear stage");
  const int64_t old_channels = layer.channels();
  if (keep.empty() || keep.front() < 0 || keep.back() >= old_channels || !std::is_sorted(keep.begin(), keep.end()) ||
      std::adjacent_find(keep.begin(), keep.end()) != keep.end())
    throw ModelError(name + ": channels to keep must be distinct, ascending and in 0.." +
                     std::to_string(old_channels - 1));
  // The consumer: the first conv / linear after channel-wise stages (pooling, flattening).
  int next = stage + 1;
  bool flattened = false;
  while (next < static_cast<int>(net->size()) && passes_channels(net->stage(next))) {
    flattened = flattened || net->stage(next).kind == "flatten";
    ++next;
  }
  ChannelLayer consumer;
  if (next >= static_cast<int>(net->size()) || !channel_layer(net, next, consumer))
    throw ModelError(name + ": the stage after it is not a conv / linear layer that can be narrowed");
  if (consumer.conv && consumer.conv->conv->options.groups() != 1)
    throw ModelError(name + ": cannot narrow grouped convolution \"" + net->stage(next).name + "\"");
  torch::Tensor index = torch::tensor(keep, torch::kLong).to(module_device(*net->stage(stage).module));

  // The producer: weight rows, bias, batch norm.
  if (layer.conv) {
    shrink(layer.conv->conv->weight, 0, index);
    shrink(layer.conv->conv->bias, 0, index);
    layer.conv->conv->options.out_channels(index.numel());
  } else {
    shrink(layer.linear->linear->weight, 0, index);
    shrink(layer.linear->linear->bias, 0, index);
    layer.linear->linear->options.out_features(index.numel());
  }
  for (const auto& m : net->stage(stage).module->children()) {
    if (auto* gate = dynamic_cast<ThresholdReLUImpl*>(m.get()))
      gate->keep_channels(index);  // learned thresholds
    else if (!shrink_batch_norm<torch::nn::BatchNorm2dImpl>(m.get(), index))
      shrink_batch_norm<torch::nn::BatchNorm1dImpl>(m.get(), index);
  }
  // The consumer's input: channels of a conv, or the features of those channels after flattening
  // (channel-major: feature = channel * positions + position).
  if (consumer.conv) {
    shrink(consumer.conv->conv->weight, 1, index);
    consumer.conv->conv->options.in_channels(index.numel());
  } else {
    const int64_t features = consumer.linear->linear->weight.size(1);
    if (features % old_channels != 0)
      throw ModelError(name + ": " + std::to_string(features) + " input features of \"" + net->stage(next).name +
                       "\" are not a multiple of its " + std::to_string(old_channels) + " channels");
    const int64_t positions = features / old_channels;
    if (!flattened && positions != 1) throw ModelError(name + ": unexpected input layout of the next layer");
    torch::Tensor feature_index =
        (index.view({-1, 1}) * positions + torch::arange(positions, index.options()).view({1, -1})).flatten();
    shrink(consumer.linear->linear->weight, 1, feature_index);
    consumer.linear->linear->options.in_features(feature_index.numel());
  }
}

}  // namespace faultscape
