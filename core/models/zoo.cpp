#include "models/zoo.h"

#include <torch/torch.h>

#include "common/error.h"

namespace faultscape {

const std::vector<std::string>& zoo_names() {
  static const std::vector<std::string> names = {"mlp",   "lenet5",  "cnv",      "vgg11",
                                                 "vgg16", "alexnet", "resnet20", "resnet18"};
  return names;
}

Network build_network(const ModelConfig& config, const std::vector<int64_t>& input_shape, int64_t num_classes) {
  if (input_shape.size() != 3) throw ModelError("model input shape must be {C, H, W}");
  Network net(config, input_shape, num_classes);
  const std::string& n = config.name;
  // VGG plans: channel counts, 0 = 2x2 max pooling (Simonyan & Zisserman, configurations A and D).
  if (n == "mlp")
    build_mlp(*net);
  else if (n == "lenet5")
    build_lenet5(*net);
  else if (n == "cnv")
    build_cnv(*net);
  else if (n == "vgg11")
    build_vgg(*net, {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0}, {});
  else if (n == "vgg16")
    build_vgg(*net, {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0}, {4096, 4096});
  else if (n == "alexnet")
    build_alexnet(*net);
  else if (n == "resnet20")
    build_resnet20(*net);
  else if (n == "resnet18")
    build_resnet18(*net);
  else if (n == "torchscript")
    build_torchscript(*net);
  else {
    std::string list;
    for (const auto& z : zoo_names()) list += (list.empty() ? "" : ", ") + z;
    throw ModelError("unknown model \"" + n + "\" (known: " + list + ", torchscript)");
  }
  return net;
}

}  // namespace faultscape
