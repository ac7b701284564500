#include "protect/abft.h"
#include "runtime/torch_compat.h"

#include <torch/torch.h>

namespace faultscape {

AbftImpl::AbftImpl(QuantConv2d c, double tolerance) : tolerance_(tolerance) {
  conv = register_module("layer", std::move(c));
  make_checksums();
}

AbftImpl::AbftImpl(QuantLinear l, double tolerance) : tolerance_(tolerance) {
  linear = register_module("layer", std::move(l));
  make_checksums();
}

void AbftImpl::make_checksums() {
  torch::NoGradGuard no_grad;
  torch::Tensor w = conv ? conv->effective_weight() : linear->effective_weight();
  torch::Tensor b = conv ? conv->conv->bias : linear->linear->bias;
  const int64_t out = w.size(0);
  torch::Tensor coef = torch::arange(1, out + 1, w.options());
  std::vector<int64_t> shape(w.dim(), 1);
  shape[0] = out;
  // Summed in double so the checksum rows do not add rounding of their own.
  torch::Tensor wd = w.to(torch::kDouble), cd = coef.to(torch::kDouble).view(shape);
  checksum_weight_ = register_buffer("checksum_weight", torch::stack({wd.sum(0), (wd * cd).sum(0)}).to(torch::kFloat));
  torch::Tensor bd = b.defined() ? b.to(torch::kDouble) : torch::zeros({out}, w.options().dtype(torch::kDouble));
  checksum_bias_ = register_buffer("checksum_bias",
                                   torch::stack({bd.sum(), (bd * coef.to(torch::kDouble)).sum()}).to(torch::kFloat));
}

torch::Tensor AbftImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = conv ? conv->forward(x) : linear->forward(x);
  return check(x, y);
}

torch::Tensor AbftImpl::check(const torch::Tensor& x, const torch::Tensor& y) {
  torch::Tensor yc;
  if (conv) {
    const auto& o = conv->conv->options;
    yc = torch::conv2d(x, checksum_weight_, checksum_bias_, o.stride(), conv_padding(o), o.dilation(), o.groups());
  } else {
    yc = torch::linear(x, checksum_weight_, checksum_bias_);
  }
  const int64_t out = y.size(1), dims = y.dim();
  std::vector<int64_t> shape(dims, 1);
  shape[1] = out;
  torch::Tensor channel = torch::arange(out, y.options().dtype(torch::kLong)).view(shape);
  torch::Tensor coef = torch::arange(1, out + 1, y.options()).view(shape);
  torch::Tensor finite = torch::isfinite(y);
  torch::Tensor yz = torch::where(finite, y, torch::zeros({}, y.options()));
  torch::Tensor bad = (~finite).sum(1);
  torch::Tensor sum = yz.sum(1), c1 = yc.select(1, 0), c2 = yc.select(1, 1);
  torch::Tensor s1 = sum - c1, s2 = (yz * coef).sum(1) - c2;
  torch::Tensor tol = tolerance_ * (yz.abs().sum(1) + c1.abs() + 1);
  // One finite error: locate by the ratio of the weighted to the plain syndrome.
  torch::Tensor one_finite = bad.eq(0) & (s1.abs() > tol);
  torch::Tensor ratio = s2 / s1, at = ratio.round();
  torch::Tensor locatable = one_finite & (ratio - at).abs().lt(0.1) & at.ge(1) & at.le(out) & torch::isfinite(ratio);
  torch::Tensor index = torch::where(locatable, at - 1, torch::zeros({}, at.options())).to(torch::kLong);
  torch::Tensor fix_finite = channel.eq(index.unsqueeze(1)) & locatable.unsqueeze(1);
  // One non-finite output: recompute it from the checksum and the other outputs.
  torch::Tensor one_bad = bad.eq(1);
  torch::Tensor fix_bad = (~finite) & one_bad.unsqueeze(1);
  // The located output is recomputed as c1 minus the others (never as Y - s1, which would cancel
  // catastrophically when the error is large).
  torch::Tensor fix = fix_finite | fix_bad;
  torch::Tensor others = torch::where(fix, torch::zeros({}, y.options()), yz).sum(1);
  torch::Tensor fixed = torch::where(fix, (c1 - others).unsqueeze(1).expand_as(y), y);
  torch::Tensor detected = one_finite | bad.gt(0);
  torch::Tensor corrected = locatable | one_bad;
  counts.checked += s1.numel();
  const int64_t det = detected.sum().item<int64_t>(), cor = corrected.sum().item<int64_t>();
  counts.detected += det;
  counts.corrected += cor;
  counts.uncorrectable += det - cor;
  // Per image: the checksum rows (2 per output position, MACs of one channel each) are counted
  // as MACs by no layer, so they are extra ops here, plus ~6 ops per output for the syndromes.
  const int64_t positions = s1[0].numel();
  const int64_t row_macs = checksum_weight_[0].numel();
  last_extra_ops = 2 * positions * row_macs + 6 * y[0].numel();
  return fixed;
}

torch::nn::AnyModule AbftImpl::copy_structure() const {
  return conv ? torch::nn::AnyModule(Abft(
                    QuantConv2d(std::dynamic_pointer_cast<QuantConv2dImpl>(copy_any(torch::nn::AnyModule(conv)).ptr())),
                    tolerance_))
              : torch::nn::AnyModule(Abft(QuantLinear(std::dynamic_pointer_cast<QuantLinearImpl>(
                                              copy_any(torch::nn::AnyModule(linear)).ptr())),
                                          tolerance_));
}

}  // namespace faultscape
