#include "protect/redundancy.h"

#include <torch/torch.h>

#include "common/error.h"

namespace faultscape {

torch::Tensor channel_view(const torch::Tensor& v, int64_t dims) {
  std::vector<int64_t> shape(dims, 1);
  shape[1] = v.numel();
  return v.view(shape);
}

ReplicateImpl::ReplicateImpl(const torch::nn::Sequential& body, int copies) {
  for (int i = 0; i < copies; ++i) replicas.push_back(register_module("r" + std::to_string(i), copy_sequential(body)));
}

torch::Tensor ReplicateImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> outs;
  for (auto& r : replicas) outs.push_back(r->forward(x));
  return torch::cat(outs, 1);
}

torch::nn::AnyModule ReplicateImpl::copy_structure() const {
  return torch::nn::AnyModule(Replicate(replicas.front(), static_cast<int>(replicas.size())));
}

torch::Tensor vote3(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& c, bool median,
                    const torch::Tensor& tolerance) {
  torch::Tensor fallback;
  if (median) {
    // NaN sorts last, so the middle of three values is finite whenever two of them are.
    fallback = std::get<0>(torch::stack({a, b, c}).sort(0)).select(0, 1);
  } else {
    fallback = torch::fmin(torch::fmin(a, b), c);
  }
  auto agree = [&](const torch::Tensor& x, const torch::Tensor& y) {
    return tolerance.defined() ? x.eq(y) | (x - y).abs().le(tolerance) : x.eq(y);
  };
  return torch::where(agree(a, b) | agree(a, c), a, torch::where(agree(b, c), b, fallback));
}

VoteImpl::VoteImpl(std::string mode) : mode_(std::move(mode)) {
  if (mode_ != "median" && mode_ != "min") throw ConfigError("vote: expected \"median\" or \"min\", got " + mode_);
}

torch::Tensor VoteImpl::forward(const torch::Tensor& x) {
  if (x.size(1) % 3) throw ModelError("vote: input dim 1 is not a multiple of 3");
  auto parts = x.chunk(3, 1);
  // Two equality tests and a select per element (plus a 3-sort when all differ).
  last_extra_ops = 3 * parts[0][0].numel();
  last_voted_values = parts[0][0].numel();
  return vote3(parts[0], parts[1], parts[2], mode_ == "median");
}

torch::nn::AnyModule VoteImpl::copy_structure() const { return torch::nn::AnyModule(Vote(mode_)); }

EdacImpl::EdacImpl(torch::Tensor dup, torch::Tensor lo, torch::Tensor hi, int copies, bool zero_outside,
                   torch::Tensor agreement)
    : copies_(copies), zero_outside_(zero_outside) {
  if (copies < 2 || copies > 3) throw ConfigError("edac: copies must be 2 or 3");
  dup_ = register_buffer("duplicated", dup.to(torch::kLong));
  lo_ = register_buffer("lower", lo.to(torch::kFloat));
  hi_ = register_buffer("upper", hi.to(torch::kFloat));
  if (copies == 2) {
    agreement = torch::empty({0}, lo_.options());  // only the vote of three copies uses it
  } else {
    if (!agreement.defined()) agreement = torch::zeros_like(lo_);
    if (agreement.numel() != lo_.numel()) throw ConfigError("edac: one agreement tolerance per channel expected");
  }
  agreement_ = register_buffer("agreement", agreement.to(torch::kFloat).clone());
}

torch::Tensor EdacImpl::forward(const torch::Tensor& input) {
  const int64_t c = channels(), d = duplicated(), dims = input.dim();
  if (input.size(1) != c + (copies_ - 1) * d)
    throw ModelError("edac: expected " + std::to_string(c + (copies_ - 1) * d) + " channels, got " +
                     std::to_string(input.size(1)));
  torch::Tensor x = torch::where(torch::isnan(input), torch::zeros({}, input.options()), input);
  torch::Tensor main = x.narrow(1, 0, c);
  torch::Tensor lo = channel_view(lo_, dims), hi = channel_view(hi_, dims);
  torch::Tensor zero = torch::zeros({}, x.options());
  torch::Tensor out = zero_outside_ ? torch::where(main.ge(lo) & main.le(hi), main, zero) : main.clone();
  const int64_t spatial = main[0].numel() / c;
  // NaN test (and two interval comparisons) per value; a pure voter (three copies, no intervals:
  // selective replication) is charged for its triplicated channels only, below.
  const bool pure_voter = copies_ == 3 && !zero_outside_;
  last_extra_ops = pure_voter ? 0 : (zero_outside_ ? 3 : 1) * c * spatial;
  last_voted_values = copies_ == 3 ? d * spatial : 0;
  if (d == 0) return out;
  torch::Tensor a = main.index_select(1, dup_), b = x.narrow(1, c, d);
  torch::Tensor fixed;
  if (copies_ == 3) {
    fixed = vote3(a, b, x.narrow(1, c + d, d), /*median=*/false, channel_view(agreement_.index_select(0, dup_), dims));
    last_extra_ops += 3 * d * spatial;
  } else {
    torch::Tensor dlo = channel_view(lo_.index_select(0, dup_), dims),
                  dhi = channel_view(hi_.index_select(0, dup_), dims);
    // Interval tests on the raw copies: a NaN copy is an error, not the 0 it is replaced with.
    torch::Tensor raw_a = input.narrow(1, 0, c).index_select(1, dup_), raw_b = input.narrow(1, c, d);
    torch::Tensor in_a = raw_a.ge(dlo) & raw_a.le(dhi), in_b = raw_b.ge(dlo) & raw_b.le(dhi);
    torch::Tensor both = torch::where(a.eq(b) | a.abs().le(b.abs()), a, b);
    fixed = torch::where(in_a & in_b, both, torch::where(in_a, a, torch::where(in_b, b, zero)));
    last_extra_ops += 6 * d * spatial;
  }
  return out.index_copy(1, dup_, fixed);
}

torch::nn::AnyModule EdacImpl::copy_structure() const {
  return torch::nn::AnyModule(Edac(dup_.clone(), lo_.clone(), hi_.clone(), copies_, zero_outside_, agreement_.clone()));
}

}  // namespace faultscape
