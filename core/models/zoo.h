// The model zoo. Input shape {C, H, W} and class count come from the dataset.
#pragma once
#include <string>
#include <vector>

#include "models/network.h"

namespace faultscape {

const std::vector<std::string>& zoo_names();

// Builds a freshly initialised network (initialisation drawn from torch's global generator:
// seed it first for reproducibility). Throws ModelError for an unknown name or a bad shape.
Network build_network(const ModelConfig& config, const std::vector<int64_t>& input_shape, int64_t num_classes);

// Zoo definitions, one file per family.
void build_mlp(NetworkImpl& net);
void build_lenet5(NetworkImpl& net);
void build_cnv(NetworkImpl& net);
void build_vgg(NetworkImpl& net, const std::vector<int64_t>& plan, const std::vector<int64_t>& classifier);
void build_alexnet(NetworkImpl& net);
void build_resnet20(NetworkImpl& net);
void build_resnet18(NetworkImpl& net);
// A TorchScript file (config.file): one stage per child module when they run in order.
void build_torchscript(NetworkImpl& net);

}  // namespace faultscape
