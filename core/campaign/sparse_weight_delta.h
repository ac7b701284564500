// Weight-fault trials, fast: the first faulty stage's linear layer is not recomputed. Its output is
// the cached golden one plus the layer applied with the weight change alone,
//   Z' = Z + conv(x, W' - W) + (b' - b),
// where W' - W is non-zero only at the flipped weights, so only their input and output channels
// take part (a few multiply-adds instead of the whole layer). The change then sits in a few output
// channels; when the stages up to the next linear layer act per channel and hold no fault, that
// layer too is its golden output plus its golden weights applied to those channels' change (plus
// its own weight change, likewise sparse). The stages after it run as usual.
#pragma once
#include <torch/types.h>

#include <map>

#include "campaign/delta_plan.h"
#include "campaign/faulty_evaluator.h"
#include "faults/sites.h"
#include "faults/weight_faults.h"
#include "quant/quant_layers.h"

namespace faultscape {

class SparseWeightDelta {
 public:
  // Caches the golden output, weights and bias of the linear layer of every stage in `stages`
  // (while they fit `budget_bytes`): call it while the network holds its golden weights.
  SparseWeightDelta(FaultyEvaluator& ev, const std::vector<int>& stages, int64_t budget_bytes);

  // Whether a trial whose first faulty stage is `stage` can run this way (a plain conv / linear
  // layer first in the stage, its golden output cached).
  bool applies(int stage) const;
  // Evaluates all images with the network's current (faulty) weights, those of `set` on `sites`;
  // `executed_macs` gets the multiply-adds per image actually run.
  TrialMetrics run(int stage, const std::vector<WeightSite>& sites, const WeightFaultSet& set, int64_t& executed_macs);
  // The first stage from `first` on whose layer computes differently under the faults of `set`: a
  // flip that leaves the effective weight as it was (a binary weight keeping its sign, a flip below
  // a quantizer's step) changes nothing, so the stages before run golden. INT_MAX: none changes.
  int first_changed(int first, const std::vector<WeightSite>& sites, const WeightFaultSet& set);
  // Trials whose change was carried through the next linear layer as well.
  int64_t propagated() const { return propagated_; }

 private:
  struct Golden {
    torch::Tensor z, weight, bias;  // the layer's golden output, effective weight and bias
  };
  // A layer's weight change against its golden weights, restricted to the channels it touches.
  struct Change {
    torch::Tensor outs, ins, dw, db;  // changed output / input channels; W' - W and b' - b on them
  };
  Change change_of(int stage);
  // z[:, outs] += the layer with weights dw (bias db) applied to x[:, ins], in place.
  void add_change(torch::Tensor& z, const torch::Tensor& x, const Change& c, int stage);
  // The plan that carries the first layer's change to the next linear stage through per-channel
  // stages holding no fault; not valid when there is none.
  DeltaPlan propagation(int stage, const std::vector<WeightSite>& sites, const WeightFaultSet& set);

  FaultyEvaluator& ev_;
  std::map<int, Golden> golden_;  // by stage, where applicable
  int64_t propagated_ = 0;
};

}  // namespace faultscape
