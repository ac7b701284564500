#include "train/foreach_adam.h"

#include <torch/torch.h>

#include <cmath>

#include "common/error.h"

namespace faultscape {

torch::Tensor ForeachAdam::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    torch::AutoGradMode grad_on(true);
    loss = closure();
  }
  for (auto& group : param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
    if (o.amsgrad()) throw ConfigError("ForeachAdam: amsgrad is not supported");
    const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
    // Parameters without a gradient this step (a skipped fault-injection step) are left alone.
    std::vector<torch::Tensor> params, grads, exp_avg, exp_avg_sq, denom;
    std::vector<torch::Scalar> inv_sqrt_bc2, neg_step_size;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      Moments& m = moments_[p.unsafeGetTensorImpl()];
      if (!m.exp_avg.defined()) {
        m.exp_avg = torch::zeros_like(p, torch::MemoryFormat::Preserve);
        m.exp_avg_sq = torch::zeros_like(p, torch::MemoryFormat::Preserve);
      }
      ++m.step;
      const double bc1 = 1 - std::pow(beta1, static_cast<double>(m.step));
      const double bc2 = 1 - std::pow(beta2, static_cast<double>(m.step));
      params.push_back(p);
      grads.push_back(p.grad());
      exp_avg.push_back(m.exp_avg);
      exp_avg_sq.push_back(m.exp_avg_sq);
      inv_sqrt_bc2.emplace_back(std::sqrt(bc2));
      neg_step_size.emplace_back(-o.lr() / bc1);
    }
    if (params.empty()) continue;
    if (o.weight_decay() != 0) grads = at::_foreach_add(grads, params, o.weight_decay());
    at::_foreach_mul_(exp_avg, beta1);
    at::_foreach_add_(exp_avg, grads, 1 - beta1);
    at::_foreach_mul_(exp_avg_sq, beta2);
    at::_foreach_addcmul_(exp_avg_sq, grads, grads, 1 - beta2);
    denom = at::_foreach_sqrt(exp_avg_sq);
    at::_foreach_div_(denom, inv_sqrt_bc2);
    at::_foreach_add_(denom, o.eps());
    at::_foreach_addcdiv_(params, exp_avg, denom, neg_step_size);
  }
  return loss;
}

}  // namespace faultscape
