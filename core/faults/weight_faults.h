// Weight faults of one trial: sampled from a fault model at a rate, applied in place to the
// stored tensors and undone bit for bit from a small log. No model is ever copied.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <random>
#include <vector>

#include "faults/fault_model.h"
#include "faults/sites.h"
#include "faults/word_edits.h"

namespace faultscape {

struct WeightFault {
  int site = 0;
  int64_t index = 0;     // flat element index in the site's tensor
  uint32_t flip = 0;     // bits to flip in the stored word
  uint32_t ones = 0;     // bits stuck at 1
  uint32_t zeros = 0;    // bits stuck at 0
  bool replace = false;  // random_value: the word reads as `value`
  float value = 0;
};

struct WeightFaultSet {
  std::vector<WeightFault> faults;  // sorted by (site, index), one entry per faulty word
  double noise_sigma = 0;           // gaussian_noise: sigma relative to each tensor's std
  uint64_t noise_seed = 0;
  int first_stage(const std::vector<WeightSite>& sites) const;  // INT32_MAX when nothing is faulty
  int64_t bit_flips() const;
};

// The bits of a word the fault model allows to fail (bit_field or explicit bits).
uint32_t allowed_bits(const FaultModel& fault, const NumberFormat& format);

// Samples one trial's faults: bit flips and stuck bits at `rate` per allowed bit (or per word when
// bits_per_word > 1), random values at `rate` per word, Gaussian noise with sigma = rate * std.
// The count is drawn from a binomial distribution first, then the positions: never one draw per bit.
WeightFaultSet sample_weight_faults(const std::vector<WeightSite>& sites, const FaultModel& fault, double rate,
                                    std::mt19937_64& rng);

// Applies faults in place and remembers the old values; undo() restores them exactly.
class WeightUndoLog {
 public:
  void apply(const std::vector<WeightSite>& sites, const WeightFaultSet& set);
  void undo(const std::vector<WeightSite>& sites);
  bool empty() const { return entries_.empty() && backups_.empty() && device_undo_.empty(); }

 private:
  struct Entry {
    int site;
    int64_t index;
    float old;
  };
  std::vector<Entry> entries_;
  std::vector<std::pair<int, torch::Tensor>> backups_;  // whole tensors, for noise only
  std::vector<std::pair<int, WordUndo>> device_undo_;   // sites on a device: their edited words
};

}  // namespace faultscape
