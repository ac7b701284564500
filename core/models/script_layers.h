// Recognises the ordinary layers of an imported TorchScript network, scripted or traced, so that
// imported models take the same fast paths, MAC counts and protection schemes as the zoo:
//  - a child whose forward is one convolution / linear / batch-norm operation on its own "weight"
//    (and "bias", running statistics) becomes Faultscape's QuantConv2d / QuantLinear (float) or a
//    BatchNorm2d holding a copy of those tensors;
//  - ReLU, max pooling and flattening become native modules; any other child without parameters is
//    classified by what it does to one channel: "activation"
//    (element-wise: ReLU, LeakyReLU, dropout in eval, ...), "pool" (per-channel pooling) or
//    "flatten"; such stages let a one-channel change through without mixing channels.
// Every adoption is checked on a probe input (the child's real input for random images): the
// native module must reproduce the scripted output, else the child stays a TorchScript stage.
#pragma once
#include <torch/nn/modules/container/sequential.h>
#include <torch/script.h>

#include <optional>
#include <string>

namespace faultscape {

struct AdoptedLayer {
  std::string kind;  // "conv", "linear", "norm", "activation", "pool", "flatten" or "script"
  torch::nn::Sequential module;
};

// `probe` is a batch of the child's input; the result computes what the child computes on it.
AdoptedLayer adopt_script_layer(const torch::jit::Module& child, const torch::Tensor& probe);

}  // namespace faultscape
