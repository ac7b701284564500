// Algorithm-based fault tolerance for a conv or linear layer (Huang & Abraham style checksums over
// the output channels). Two checksum rows are precomputed from the layer's effective weights:
//   c1 = sum_o W[o],  c2 = sum_o (o+1) W[o]   (and the same sums of the bias),
// so at every output position p (image, pixel) the layer's outputs must satisfy
//   s1 = sum_o Y[o,p] - (c1 * X)[p] = 0,  s2 = sum_o (o+1) Y[o,p] - (c2 * X)[p] = 0.
// A single faulty output e at channel o gives s1 = e and s2 = (o+1) e: the ratio locates o and
// Y[o,p] = (c1 * X)[p] - sum of the other outputs corrects it (so does a single non-finite output).
// Positions with a mismatch that cannot be located (two or more faulty outputs) are counted as
// uncorrectable and left as they are. A weight fault corrupts one channel at every position, so
// it is corrected everywhere.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>

#include "models/module_copy.h"
#include "quant/quant_layers.h"

namespace faultscape {

struct AbftCounts {
  int64_t checked = 0;        // output positions checked
  int64_t detected = 0;       // positions whose checksums mismatched
  int64_t corrected = 0;      // of those, located and corrected
  int64_t uncorrectable = 0;  // detected but not locatable
};

class AbftImpl : public torch::nn::Module, public CopyableModule, public CheckerOps {
 public:
  explicit AbftImpl(QuantConv2d conv, double tolerance = 1e-4);
  explicit AbftImpl(QuantLinear linear, double tolerance = 1e-4);
  torch::Tensor forward(const torch::Tensor& x);
  // Checks (and corrects) output y of the protected layer for its input x.
  torch::Tensor check(const torch::Tensor& x, const torch::Tensor& y);
  torch::nn::AnyModule copy_structure() const override;

  QuantConv2d conv{nullptr};  // the protected layer: one of the two is set
  QuantLinear linear{nullptr};
  AbftCounts counts;

 private:
  void make_checksums();

  double tolerance_;  // relative to sum_o |Y[o,p]| + |c1 * X| + 1
  torch::Tensor checksum_weight_, checksum_bias_;
};
TORCH_MODULE(Abft);

}  // namespace faultscape
