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
  int64_t memory_bytes = 0, memory_bytes_base = 0;
  double latency_ms = 0, latency_ms_base = 0;  // per image, median of repeated batches
  // Normalised hardware cost: the mean of the compute ratio (MACs + extra ops) / MACs_base and
  // the memory ratio; 1 = the unprotected network.
  double hardware_cost() const;
  nlohmann::json to_json() const;
};

// images: a sample batch for the latency measurement (up to 256 used); repeats: timed passes each.
Overhead measure_overhead(Network& base, Network& protected_net, const torch::Tensor& images, int repeats = 7);

}  // namespace faultscape
