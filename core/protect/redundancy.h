// Modules of the redundancy schemes. A replicated stage emits all its copies concatenated along
// dim 1 (channels or features); the checker stage after it (Vote, Edac) turns them back into one
// output. Keeping the copies in the activation lets activation faults hit each copy separately.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "models/module_copy.h"

namespace faultscape {

// `copies` independent deep copies of a stage body run on the same input.
class ReplicateImpl : public torch::nn::Module, public CopyableModule {
 public:
  ReplicateImpl(const torch::nn::Sequential& body, int copies);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::AnyModule copy_structure() const override;
  std::vector<torch::nn::Sequential> replicas;
};
TORCH_MODULE(Replicate);

// Element-wise vote of three values: a value two replicas agree on wins; when all three differ,
// "median" takes the middle one, "min" the smallest (the hardening paper's voter). NaN never agrees.
// Two values agree when equal or at most `tolerance` apart (broadcast; undefined = exact): replicas
// computed as part of a wider layer may differ from the original in the last bits, and without
// the tolerance "min" would then pick a replica stuck low over two good ones.
torch::Tensor vote3(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& c, bool median,
                    const torch::Tensor& tolerance = {});

// Splits its input into three equal parts along dim 1 and votes exactly: TMR's replicas are separate
// layers of the original's shape on the same input, so they compute bit-identical values by
// construction (the same kernel on the same shapes).
class VoteImpl : public torch::nn::Module, public CopyableModule, public CheckerOps {
 public:
  explicit VoteImpl(std::string mode);  // "median" | "min"
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::AnyModule copy_structure() const override;
  const std::string& mode() const { return mode_; }

 private:
  std::string mode_;
};
TORCH_MODULE(Vote);

// EDAC layer (hardening paper, Fig. 2). Input: the C channels of the layer followed by
// (copies - 1) copies of the d duplicated channels `dup`. Every NaN becomes 0. A duplicated
// channel (copies == 2) keeps the copy that lies inside its detection interval [lo, hi] (a NaN
// copy is outside; both inside and different: the one of smaller magnitude, as a harmful fp32
// flip mostly grows a value; none inside: 0); with copies == 3 the three
// copies are voted (triplication + voter, "min" when all differ), copies within the channel's
// `agreement` tolerance counting as equal (they are computed in one widened layer, so they may
// differ from the original in the last bits; see rounding_tolerance in protect/profile.h).
// A non-duplicated value outside its interval becomes 0 when zero_outside (plain duplication
// without intervals otherwise).
class EdacImpl : public torch::nn::Module, public CopyableModule, public CheckerOps {
 public:
  // agreement: per channel (C values); undefined = exact agreement.
  EdacImpl(torch::Tensor dup, torch::Tensor lo, torch::Tensor hi, int copies, bool zero_outside,
           torch::Tensor agreement = {});
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::AnyModule copy_structure() const override;
  int64_t channels() const { return lo_.size(0); }
  int64_t duplicated() const { return dup_.size(0); }

 private:
  torch::Tensor dup_, lo_, hi_, agreement_;
  int copies_;
  bool zero_outside_;
};
TORCH_MODULE(Edac);

// Shape [1, C, 1, ...] for per-channel values broadcast over an activation of `dims` dimensions.
torch::Tensor channel_view(const torch::Tensor& v, int64_t dims);

}  // namespace faultscape
