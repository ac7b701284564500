// What can go wrong: the project file's "faults" object. A FaultModel is configuration only;
// samplers turn it into concrete faults for one trial (see weight_faults.h, activation_faults.h).
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace faultscape {

class Reader;

struct FaultModel {
  // bitflip: flip stored bits at a bit-error rate (transient for activations, in memory for weights)
  // stuck_at: activations stuck at a value (channel / pixel / element granularity, FAT paper)
  // stuck_bits: permanent stuck-at-0/1 bits in weight memory, at a rate per bit
  // random_value: words replaced by a uniform random value, at a rate per word
  // gaussian_noise: additive Gaussian noise, sigma relative to each tensor's std
  // (our models: the FTT-NAS abstract, paper 004, names feature and weight faults without defining them)
  std::string kind = "bitflip";
  std::string target = "weights";       // weights | activations
  std::string granularity = "channel";  // stuck_at: channel | pixel | element
  std::string format = "auto";          // auto (intN of a quantized layer, else fp32) | fp32 | fp16 | bf16 | intN
  std::string bit_field = "all";        // which bits may flip: all | sign | exponent | mantissa
  std::vector<int> bits;                // explicit bit positions (overrides bit_field)
  int bits_per_word = 1;                // > 1: the rate is per word and each faulty word gets this many flips
  std::vector<std::string> layers;      // stage names; empty = every conv / linear stage
  std::vector<std::string> tensors = {"weight", "bias"};  // weights: weight | bias | bn
  // weights: also the state of the protection's checkers (EDAC intervals and vote tolerances,
  // range bounds, ABFT checksums, stored-weight decode scales) and batch-norm parameters, as the
  // hardening paper (002) injects into CONV, FC, BN and EDAC parameters.
  bool fault_checkers = false;
  // intN storage of a float tensor: 0 = the tensor's own step max|x| / (2^(N-1) - 1); > 0 = one
  // fixed-point step for every tensor (a fixed Qm.n word), so a flipped bit is worth the same
  // whatever the stored values and weights stored scaled by k (`scale`, paper 003) err k times less.
  double int_step = 0;
  nlohmann::json stuck_values = "auto";  // "auto": every level of the activation quantizer; or numbers
  double stuck_one_fraction = 0.5;       // stuck_bits: share of stuck bits that read as 1
  double value_range = 0;                // random_value: uniform in [-r, r]; 0 = the tensor's max |x|
  std::string mapping = "dataflow";      // dataflow: a PE computes one channel of one layer;
  int pe_count = 0;                      // loopback: PE p computes channels c = p (mod pe_count) of every layer
  int64_t samples = 0;                   // stuck sweep, element granularity: positions per layer (0 = all)

  bool on_weights() const { return target == "weights"; }
};

// Reads and validates the "faults" object; problems are recorded with their JSON paths.
void read_config(Reader& reader, FaultModel& out);
nlohmann::json to_json(const FaultModel& fault);

}  // namespace faultscape
