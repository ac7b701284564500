// Learned-threshold ReLU (seed note 000, second approach; FitAct-style bounded ReLU): an output
// filter after a ReLU that zeroes every value above a threshold T (one per stage or per channel),
//
//     y = x   if x <= T        (x is a ReLU output, so x >= 0)
//     y = 0   if x >  T, or x is NaN
//
// so the huge (or non-finite) activations a bit flip in a weight's exponent causes are dropped
// instead of propagated. The filter is exact in the forward pass (training and inference). T is
// trained with the weights: the hard gate has no useful derivative in T, so the backward pass
// uses the derivative of the smooth bounded ReLU it approximates (a straight-through surrogate),
//
//     f_k(x) = x * sigmoid(k (T - x)),   k = sharpness / T,
//     dy/dT := df_k/dT = x * k * s (1 - s),   s = sigmoid(k (T - x))   (> 0: raising T passes more)
//     dy/dx := 1[x <= T]                                                 (the hard gate's own derivative)
//
// k scales with 1/T so the band of values that move T is a fixed fraction of T whatever the layer's
// range. A threshold of +inf means "not profiled yet": the gate passes everything unchanged.
// The gates stay in the trained network; model files record them (threshold_record) and the
// loader re-inserts them (apply_threshold_record) before reading the weights.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "models/network.h"

namespace faultscape {

// The gate as an autograd function (see above). `threshold` broadcasts against x: a scalar, or
// shaped [1, C, 1, 1] / [1, C].
torch::Tensor threshold_gate(const torch::Tensor& x, const torch::Tensor& threshold, double sharpness);

class ThresholdReLUImpl : public torch::nn::Cloneable<ThresholdReLUImpl> {
 public:
  // channels = 0: one threshold for the whole stage; else one per channel (dimension 1 of x).
  explicit ThresholdReLUImpl(int64_t channels = 0, double sharpness = 10);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  bool profiled() const;  // every threshold finite
  int64_t channels() const { return channels_; }
  void set_sharpness(double k) { sharpness_ = k; }
  // Keeps the thresholds of these channels only (channel pruning of the stage's layer).
  void keep_channels(const torch::Tensor& index);

  torch::Tensor threshold;  // parameter "threshold": shape {} or {C}; +inf until profiled

 private:
  int64_t channels_;
  double sharpness_;
};
TORCH_MODULE(ThresholdReLU);

// [{"stage": "conv0", "channels": 0}, ...] for every gate of the network, in stage order.
nlohmann::json threshold_record(const Network& net);
// Appends a ThresholdReLU (thresholds +inf until loaded) to each recorded stage; ModelError
// naming `source` when a stage is unknown.
void apply_threshold_record(Network& net, const nlohmann::json& record, const std::string& source);

}  // namespace faultscape
