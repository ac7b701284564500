// Symmetric uniform fake quantization with straight-through gradients.
//
// A b-bit quantizer with clipping bound a uses the narrow signed range
//   levels = {-n, ..., -1, 0, 1, ..., n} * a / n,   n = 2^(b-1) - 1,
// so 2 bits give {-a, 0, a} and 8 bits give 255 levels. One bit is binary (FINN): sign(x) * a,
// i.e. {-a, a}. The forward pass clamps to [-a, a] and rounds; the backward pass is the
// straight-through estimator of the clamp: gradient 1 inside [-a, a], 0 outside. When a is a
// learnable tensor the clamp also passes a gradient to a (PACT-style clipping).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

namespace faultscape {

// Largest integer level n of a b-bit quantizer (1 for binary).
int64_t quant_max_level(int bits);

// Fake-quantizes x with `bits` (1..8) and bound (a scalar tensor, may require grad).
torch::Tensor fake_quantize(const torch::Tensor& x, int bits, const torch::Tensor& bound);

// Every value a b-bit quantizer with bound a can produce, ascending. ({-a, a} for 1 bit.)
std::vector<double> quant_levels(int bits, double bound);

// Activation quantizer used in place of ReLU when activations are quantized (FINN's quantized
// hardtanh). Holds its clipping bound, fixed (buffer) or learnable (parameter).
class QuantActImpl : public torch::nn::Module {
 public:
  QuantActImpl(int bits, double bound, bool learnable);
  torch::Tensor forward(const torch::Tensor& x);
  int bits() const { return bits_; }
  double bound() const;
  std::vector<double> levels() const { return quant_levels(bits_, bound()); }
  // The bound as a scalar tensor (the parameter itself when learnable).
  const torch::Tensor& bound_tensor() const { return bound_; }

 private:
  int bits_;
  torch::Tensor bound_;
};
TORCH_MODULE(QuantAct);

}  // namespace faultscape
