// What the robust-training objects of a project's "training" section hold. Each object's presence
// switches its method on (absent = off), like training.fault_aware:
//
//   training.learned_threshold  {granularity, lambda, penalty, init_percentile, profile_images, layers,
//                                epochs, sharpness}                      (note 000, second approach; FitAct)
//   training.quant_bound        {lambda, penalty, weights, min_bound}    (note 000, first approach; PACT)
//   training.bitflip_training   {ber, format, bit_field, layers, tensors, max_loss, faulty_weight} (FTT-NAS, paper 004)
//   training.saturating_weights {function, factor, layers}               (abstracts, paper 003)
//
// Read by core/ftt/robust_json.cpp (path-named problems), applied by core/ftt/robust_training.h.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace faultscape {

// Learned-threshold ReLU: a ThresholdReLU gate after the ReLU of each selected stage; values above
// the threshold become 0. The gates stay in the trained network (they are the protection).
struct LearnedThresholdConfig {
  bool enabled = false;
  std::string granularity = "layer";  // layer: one threshold per stage | channel: one per output channel
  double lambda = 1e-3;               // regulariser weight
  std::string penalty = "l1";         // l1: lambda * sum T | l2: lambda * sum T^2
  double init_percentile = 99.9;      // thresholds start at this percentile of the profiled activations
  int64_t profile_images = 1000;      // training images used for profiling
  std::vector<std::string> layers;    // stages ending in a ReLU; empty = every one but the logits
  // Thresholds profiled and trained in the last N epochs (0 = all). Profiling an untrained network
  // gives thresholds that cut the activations' growth (values above T get no gradient): measured
  // on LeNet-5, 1 epoch from scratch reached 14-27 % instead of 63 %. So by default the network
  // trains plainly first and the thresholds are fitted in the last epoch (FitAct is post-trainable).
  int epochs = 1;
  double sharpness = 10;  // k*T of the smooth gate whose derivative trains T (see threshold_relu.h)
};

// Quantization-bound training: a regulariser on the learnable clipping bounds (model.learnable_clip)
// pulls the quantization ranges down while the task loss keeps the accuracy.
struct QuantBoundConfig {
  bool enabled = false;
  double lambda = 1e-3;
  std::string penalty = "l2";  // l1: lambda * sum a | l2: lambda * sum a^2
  bool weights = true;         // also the learnable weight bounds (quantized weights), not only activations
  double min_bound = 1e-3;     // bounds are kept >= this after every step (a zero range has no levels)
};

// FTT weight bit-flip training: every step flips stored weight bits at `ber`, runs forward and
// backward on the faulty weights, restores the clean weights bit for bit before the optimizer step.
struct BitflipTrainingConfig {
  bool enabled = false;
  double ber = 1e-5;                                      // per stored bit, as faults.* of a campaign
  std::string format = "auto";                            // auto | fp32 | fp16 | bf16 | int1..int16
  std::string bit_field = "all";                          // all | sign | exponent | mantissa
  std::vector<std::string> layers;                        // empty = every conv / linear stage
  std::vector<std::string> tensors = {"weight", "bias"};  // weight | bias | bn
  // A step whose faulty loss exceeds this (or is not finite) updates nothing: an fp32 exponent flip
  // gives losses ~1e35 whose gradients would swamp the optimizer's state (Adam's second moment).
  double max_loss = 100;
  // The training loss is (1 - faulty_weight) * clean loss + faulty_weight * faulty loss, each on
  // the same batch (FTT-NAS's fault-tolerant training mixes the two; the abstract we hold, 004,
  // gives no weight: 0.5 weighs them equally). 1 = the faulty loss alone, one pass per step.
  double faulty_weight = 0.5;
};

// Saturating weights during training: w = s * tanh(v) or s * 2/pi * atan(v), v the trained
// parameter, s = factor * max|w| of the initial layer. Decoded back to plain weights afterwards.
struct SaturatingTrainingConfig {
  bool enabled = false;
  std::string function = "tanh";    // tanh | atan
  double factor = 1.5;              // > 1
  std::vector<std::string> layers;  // empty = every float conv / linear stage
};

}  // namespace faultscape
