// Adam with LibTorch's multi-tensor (_foreach_) kernels: the same update as torch::optim::Adam
// (L2 weight decay added to the gradient, bias-corrected moments, no amsgrad), but each of its
// steps is a handful of kernels over all parameters instead of ~8 per parameter. On a GPU the
// per-parameter launches dominate a small network's step (PyTorch's own Adam uses these kernels
// there); on the CPU the trainer keeps torch::optim::Adam.
#pragma once
#include <torch/optim/adam.h>

#include <unordered_map>
#include <vector>

namespace faultscape {

class ForeachAdam : public torch::optim::Adam {
 public:
  using torch::optim::Adam::Adam;
  torch::Tensor step(LossClosure closure = nullptr) override;

 private:
  struct Moments {
    torch::Tensor exp_avg, exp_avg_sq;
    int64_t step = 0;
  };
  std::unordered_map<const void*, Moments> moments_;  // by parameter (its TensorImpl)
};

}  // namespace faultscape
