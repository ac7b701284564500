// Weight-fault trials, fast: the first faulty stage's linear layer is not recomputed. Its output is
// the cached golden one plus the layer applied with the weight change alone,
//   Z' = Z + conv(x, W' - W) + (b' - b),
// where W' - W is non-zero only at the flipped weights, so only their input and output channels
// take part (a few multiply-adds instead of the whole layer). The stages after it run as usual.
#pragma once
#include <torch/types.h>

#include <map>

#include "campaign/faulty_evaluator.h"
#include "quant/quant_layers.h"

namespace faultscape {

class SparseWeightDelta {
 public:
  // Golden outputs are cached per stage, lazily, while they fit `budget_bytes`.
  SparseWeightDelta(FaultyEvaluator& ev, int64_t budget_bytes) : ev_(ev), budget_(budget_bytes) {}

  // Whether a trial whose first faulty stage is `stage` can run this way (a plain conv / linear
  // layer first in the stage, golden output within the budget).
  bool applies(int stage);
  // Evaluates all images with the network's current (faulty) weights; `executed_macs` gets the
  // multiply-adds per image actually run.
  TrialMetrics run(int stage, int64_t& executed_macs);

 private:
  struct Golden {
    torch::Tensor z, weight, bias;  // the layer's golden output, effective weight and bias
  };
  FaultyEvaluator& ev_;
  int64_t budget_;
  std::map<int, Golden> golden_;  // by stage; an undefined z: not applicable
};

}  // namespace faultscape
