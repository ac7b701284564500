#include "train/subnetwork.h"
#include "runtime/device.h"

#include <torch/torch.h>

#include "common/error.h"
#include "train/trainer.h"

namespace faultscape {

std::vector<int> bypassable_stages(Network& net, const std::vector<std::string>& layers, const std::string& path) {
  std::vector<int> out;
  if (layers.empty()) return out;  // no probe pass for plain training
  std::vector<int64_t> shape = {2};
  for (int64_t d : net->input_shape()) shape.push_back(d);
  torch::NoGradGuard no_grad;
  const bool was_training = net->is_training();
  net->eval();
  torch::Tensor h = torch::zeros(shape, torch::TensorOptions().device(module_device(*net)));
  std::vector<std::vector<int64_t>> in_shapes;  // input shape of every stage
  for (size_t i = 0; i < net->size(); ++i) {
    in_shapes.push_back(h.sizes().vec());
    h = net->forward_range(h, i, i + 1);
  }
  in_shapes.push_back(h.sizes().vec());
  net->train(was_training);
  for (const auto& name : layers) {
    const int i = net->stage_index(name);
    if (i < 0) throw ConfigError(path + ": no stage \"" + name + "\" in this model");
    if (i + 1 >= static_cast<int>(net->size()) || in_shapes[i] != in_shapes[i + 1])
      throw ConfigError(path + ": stage \"" + name + "\" changes the shape of its input, so it cannot be removed " +
                        "(a residual block of the same width can)");
    out.push_back(i);
  }
  return out;
}

torch::Tensor forward_without(Network& net, const torch::Tensor& x, int skip) {
  torch::Tensor h = net->forward_range(x, 0, static_cast<size_t>(skip));
  return net->forward_range(h, static_cast<size_t>(skip) + 1, net->size());
}

torch::Tensor subnetwork_loss(Network& net, const torch::Tensor& x, const torch::Tensor& y,
                              const torch::Tensor& full_loss, const std::vector<int>& stages, const std::string& loss) {
  torch::Tensor total = full_loss;
  for (int s : stages) total = total + compute_loss(loss, forward_without(net, x, s), y);
  return total / static_cast<double>(1 + stages.size());
}

}  // namespace faultscape
