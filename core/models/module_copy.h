// Deep copies of stage modules. A protected network owns its tensors: replicas are separate
// weight tensors (so weight faults hit them independently) and the unprotected network is untouched.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>

namespace faultscape {

// Implemented by the protection modules, which torch cannot clone (they are not Cloneable).
struct CopyableModule {
  virtual ~CopyableModule() = default;
  // A module of the same structure; its tensors are overwritten by copy_state afterwards.
  virtual torch::nn::AnyModule copy_structure() const = 0;
};

// Extra work of voters and checkers, recorded per image by their last forward pass (like the
// layers' last_macs), for the overhead report.
struct CheckerOps {
  int64_t last_extra_ops = 0;
  // Of the values the last pass produced per image, how many a 2-of-3 voter decided (TMR's vote,
  // the vote over triplicated channels): the voters of a fully unrolled circuit.
  int64_t last_voted_values = 0;
};

torch::nn::AnyModule copy_any(const torch::nn::AnyModule& module);
torch::nn::Sequential copy_sequential(const torch::nn::Sequential& seq);
// Copies every parameter and buffer of `from` into the same-named tensor of `to`.
void copy_state(const torch::nn::Module& from, torch::nn::Module& to);

}  // namespace faultscape
