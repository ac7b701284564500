// Activation faults: applied to a stage's output during a forward pass.
//
// StuckFault is one deterministic fault of a stuck-at sweep (FAT Algorithm 1): a channel, the same
// pixel in every channel, or one element of a site held at a value for every image.
// ActivationFaultSet is one trial's transient faults (bit flips, random values, noise, stuck
// elements at a rate), sampled over the whole evaluation set so the result does not depend on how
// the images are batched.
#pragma once
#include <torch/types.h>

#include <random>
#include <vector>

#include "faults/fault_model.h"
#include "faults/sites.h"

namespace faultscape {

struct StuckFault {
  int stage = 0;
  int64_t channel = -1;    // channel granularity (or element)
  int64_t h = -1, w = -1;  // pixel granularity (or element)
  double value = 0;
  // Sets the faulty positions of `out` ([B, C, H, W] or [B, F]) to the value, in place.
  void apply(torch::Tensor& out) const;
};

struct ActivationElementFault {
  int64_t image = 0;    // index in the evaluation set
  int64_t element = 0;  // flat index within one image's activation
  uint32_t flip = 0;
  bool replace = false;
  float value = 0;
};

struct ActivationFaultSet {
  struct SiteFaults {
    int stage = 0;
    NumberFormat format;
    double scale = 1.0;
    std::vector<ActivationElementFault> faults;  // sorted by image
  };
  std::vector<SiteFaults> sites;
  double noise_sigma = 0;
  uint64_t noise_seed = 0;

  int first_stage() const;  // INT32_MAX when nothing is faulty
  bool hits(int stage) const;
  // Applies this set's faults for `stage` to out, which holds images [offset, offset + B).
  void apply(int stage, torch::Tensor& out, int64_t offset) const;
  int64_t count() const;
};

// per_image_numel[i]: elements of one image's activation at sites[i]; `images`: evaluation set size.
ActivationFaultSet sample_activation_faults(const std::vector<ActivationSite>& sites,
                                            const std::vector<int64_t>& per_image_numel, int64_t images,
                                            const FaultModel& fault, double rate, std::mt19937_64& rng);

// The stuck values of a site: the fault model's list, or "auto": every level of the activation
// quantizer; for float activations {0, the largest golden activation} (stuck-at-zero and -max).
std::vector<double> stuck_values(const FaultModel& fault, const ActivationSite& site, double golden_max);

}  // namespace faultscape
