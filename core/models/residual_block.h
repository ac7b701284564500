// What campaigns need to see inside a residual block y = act2(bn2(conv2(act1(bn1(conv1 x)))) + s(x))
// to evaluate a change of one input channel without recomputing the block's first convolution and
// its shortcut s (identity, or a 1x1 convolution + batch norm): both are linear in x (batch norm in
// eval is affine per channel), so their faulty outputs are the golden ones plus a one-channel delta.
#pragma once
#include <torch/nn/modules/batchnorm.h>
#include <torch/types.h>

#include "quant/quant_layers.h"

namespace faultscape {

struct ResidualBlock {
  virtual ~ResidualBlock() = default;
  virtual QuantConv2dImpl& first_conv() = 0;
  // The projection shortcut's convolution and batch norm; null for the identity shortcut.
  virtual QuantConv2dImpl* shortcut_conv() = 0;
  virtual torch::nn::BatchNorm2dImpl* shortcut_norm() = 0;
  virtual torch::Tensor shortcut_of(const torch::Tensor& x) = 0;
  // The block's output from conv1's output z1 and the shortcut's output s.
  virtual torch::Tensor finish(const torch::Tensor& z1, const torch::Tensor& s) = 0;
};

}  // namespace faultscape
