// Builds a Network stage by stage while tracking the activation shape, so zoo definitions read
// like the architecture tables of the papers. Applies the model's weight / activation precision.
#pragma once
#include <torch/nn/modules/container/sequential.h>

#include <string>
#include <vector>

#include "models/network.h"

namespace faultscape {

class StageBuilder {
 public:
  StageBuilder(NetworkImpl& net, const ModelConfig& config);

  // conv k x k (+ batch norm) (+ activation) as one stage.
  void conv(const std::string& name, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool batch_norm,
            bool activation = true);
  // k x k max pooling with stride k; skipped when the map is already smaller than k.
  void pool(const std::string& name, int64_t kernel = 2);
  void flatten(const std::string& name = "flatten");
  // linear (+ batch norm) (+ activation); the last layer passes activation = false.
  void linear(const std::string& name, int64_t out, bool batch_norm, bool activation = true, bool bias = true);
  // a custom stage whose output shape the caller knows
  void custom(const std::string& name, const std::string& kind, torch::nn::Sequential seq,
              std::vector<int64_t> out_shape);

  // ReLU for float activations, the quantized hardtanh otherwise (static: for modules that build
  // their own activations, like the residual blocks).
  void add_activation(torch::nn::Sequential& seq) const { add_activation(seq, config_); }
  static void add_activation(torch::nn::Sequential& seq, const ModelConfig& config);
  int64_t scaled(int64_t channels) const;  // channels * width multiplier, at least 1

  // Upper bounds a model definition (project or model file) may ask for, checked before a layer's
  // weights are allocated: a record asking for billions of weights or multiply-accumulates gets a
  // clear error instead of exhausting memory or computing for hours.
  static constexpr int64_t kMaxParameters = int64_t{1} << 28;    // 268 M (1 GiB of fp32)
  static constexpr int64_t kMaxMacsPerImage = int64_t{1} << 36;  // 69 G
  // Counts a layer about to be built (conv() and linear() do; custom stages call it themselves);
  // throws ModelError naming the stage when a bound is passed. Doubles: a hostile width times a
  // huge map overflows int64.
  void reserve(const std::string& stage, double parameters, double macs_per_image);
  const std::vector<int64_t>& shape() const { return shape_; }

 private:
  NetworkImpl& net_;
  ModelConfig config_;
  std::vector<int64_t> shape_;
  double parameters_ = 0, macs_ = 0;  // of the layers built so far; MACs per image
};

}  // namespace faultscape
