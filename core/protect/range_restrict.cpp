#include "protect/range_restrict.h"

#include <torch/torch.h>

#include "common/error.h"
#include "protect/redundancy.h"

namespace faultscape {

RangeRestrictImpl::RangeRestrictImpl(torch::Tensor lo, torch::Tensor hi, std::string mode) : mode_(std::move(mode)) {
  if (mode_ != "clamp" && mode_ != "zero") throw ConfigError("range restriction: mode must be clamp or zero");
  lo_ = register_buffer("lower", lo.to(torch::kFloat).reshape({-1}));
  hi_ = register_buffer("upper", hi.to(torch::kFloat).reshape({-1}));
}

torch::Tensor RangeRestrictImpl::forward(const torch::Tensor& input) {
  const bool layer = lo_.numel() == 1;
  if (!layer && input.size(1) != lo_.numel())
    throw ModelError("range restriction: bounds for " + std::to_string(lo_.numel()) + " channels, input has " +
                     std::to_string(input.size(1)));
  torch::Tensor lo = layer ? lo_ : channel_view(lo_, input.dim());
  torch::Tensor hi = layer ? hi_ : channel_view(hi_, input.dim());
  torch::Tensor zero = torch::zeros({}, input.options());
  torch::Tensor x = torch::where(torch::isnan(input), zero, input);
  last_extra_ops = 3 * input[0].numel();
  if (mode_ == "clamp") return torch::min(torch::max(x, lo), hi);
  return torch::where(x.ge(lo) & x.le(hi), x, zero);
}

torch::nn::AnyModule RangeRestrictImpl::copy_structure() const {
  return torch::nn::AnyModule(RangeRestrict(lo_.clone(), hi_.clone(), mode_));
}

}  // namespace faultscape
