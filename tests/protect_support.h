// Helpers of the protection suites: small networks, images, applying a protection list, inference.
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "models/zoo.h"
#include "protect/protection_spec.h"
#include "protect/schemes.h"
#include "runtime/runtime.h"
#include "train/trainer.h"

namespace faultscape::test {

// An untrained network of the zoo in eval mode, seeded; width scales its channels.
inline Network zoo_network(const std::string& name, uint64_t seed, double width = 1.0) {
  seed_everything(seed);
  ModelConfig c;
  c.name = name;
  c.width = width;
  Network net = build_network(c, {1, 28, 28}, 10);
  net->eval();
  return net;
}

inline torch::Tensor images(int64_t n, uint64_t seed = 5) {
  torch::manual_seed(seed);
  return torch::rand({n, 1, 28, 28});
}

inline Network protect(const Network& net, const nlohmann::json& schemes, const torch::Tensor& profile) {
  nlohmann::json details;
  return apply_protection(net, parse_protection(schemes, "test"), profile, torch::Tensor(), details);
}

inline torch::Tensor run(Network& net, const torch::Tensor& x) {
  torch::InferenceMode inference;
  return net->forward(x);
}

// Exact equality, where it holds by construction: the same computation on the same shapes (TMR's
// replicas are separate layers of the original's shape), or values picked by a vote. Computations
// of different shapes (a widened layer against the original) are compared with close_values.
inline bool same(const torch::Tensor& a, const torch::Tensor& b) { return torch::equal(a, b); }

}  // namespace faultscape::test
