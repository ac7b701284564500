// Quantization-bound training (seed note 000, first approach, "optimized quantization bound"): the
// clipping bounds a of the activation quantizers (and of quantized weights) are learnable
// (PACT-style, model.learnable_clip), and a regulariser
//
//     R = lambda * sum_bounds a      (penalty "l1")   or   lambda * sum_bounds a^2   ("l2")
//
// pulls them down while the task loss, through the clamp's gradient (+1 above a, -1 below -a),
// pushes back where clipping costs accuracy. A smaller range means a bit flip in a stored value or
// a corrupted partial sum saturates at a smaller magnitude. Bounds are kept >= min_bound.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <string>
#include <vector>

#include "models/network.h"
#include "train/robust_config.h"

namespace faultscape {

class QuantBoundTraining {
 public:
  // Collects the learnable bounds; ConfigError naming training.quant_bound when there are none.
  QuantBoundTraining(Network& net, const QuantBoundConfig& config);
  torch::Tensor regulariser() const;
  void clamp();
  size_t size() const { return bounds_.size(); }
  nlohmann::json describe() const;  // every bound: where, initial and final value

 private:
  QuantBoundConfig config_;
  std::vector<std::string> names_;
  std::vector<torch::Tensor> bounds_;
  std::vector<double> initial_;
};

}  // namespace faultscape
