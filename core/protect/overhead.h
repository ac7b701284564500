// What a protection costs, measured on the protected network against the unprotected one:
// parameters, MACs, memory (every parameter and buffer: replicas, checksums, bounds), extra
// operations of voters and checkers, and latency of both networks timed in the same call.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "models/network.h"

namespace faultscape {

struct Overhead {
  int64_t params = 0, params_base = 0;
  int64_t macs = 0, macs_base = 0;  // per image
  int64_t extra_ops = 0;            // voter / checker / decode operations per image
  int64_t voted_values = 0;         // values decided by a 2-of-3 voter per image (one voter each)
  int64_t memory_bytes = 0, memory_bytes_base = 0;
  double latency_ms = 0, latency_ms_base = 0;  // per image, median of repeated batches
  // Normalised hardware cost ("mixed"): the mean of the compute ratio (MACs + extra ops) /
  // MACs_base and the memory ratio; 1 = the unprotected network.
  double hardware_cost() const;
  // FAT's Fig. 9 cost (paper 001, sec. V-C): the hardware of a fully unrolled network, one PE per
  // MAC, normalised: (MACs + voters) / MACs_base, one voter per voted value, counted as one PE
  // (the paper does not size a voter; a 2-of-3 majority on a word is smaller than a MAC, so this
  // is an upper bound on its share). Memory does not enter: weights are part of their PEs.
  double unrolled_cost() const;
  nlohmann::json to_json() const;
};

// images: a sample batch for the latency measurement (up to 256 used); repeats: timed passes each.
Overhead measure_overhead(Network& base, Network& protected_net, const torch::Tensor& images, int repeats = 7);

}  // namespace faultscape
