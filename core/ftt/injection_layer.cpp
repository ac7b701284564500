#include "ftt/injection_layer.h"

#include <torch/torch.h>

#include "common/error.h"

namespace faultscape {

Granularity parse_granularity(const std::string& name) {
  if (name == "channel") return Granularity::Channel;
  if (name == "pixel") return Granularity::Pixel;
  if (name == "element") return Granularity::Element;
  throw ConfigError("granularity: expected \"channel\", \"pixel\" or \"element\", got \"" + name + "\"");
}

std::string to_string(Granularity g) {
  return g == Granularity::Channel ? "channel" : g == Granularity::Pixel ? "pixel" : "element";
}

ErrorInjectionImpl::ErrorInjectionImpl(std::vector<double> stuck_values, double p, Granularity granularity)
    : values_(std::move(stuck_values)), p_(0), granularity_(granularity) {
  if (values_.empty()) throw ConfigError("error injection: no stuck values");
  set_p(p);
}

ErrorInjectionImpl::ErrorInjectionImpl(QuantizerStuckValues stuck_values, double p, Granularity granularity)
    : ErrorInjectionImpl(std::move(stuck_values.levels), p, granularity) {
  if (!stuck_values.bound.defined() || stuck_values.max_level < 1)
    throw ConfigError("error injection: quantizer stuck values need a bound and a maximum level >= 1");
  bound_ = stuck_values.bound;
  max_level_ = stuck_values.max_level;
}

torch::Tensor ErrorInjectionImpl::values(const torch::TensorOptions& options) const {
  torch::Tensor v = torch::tensor(values_, options);
  if (!bound_.defined()) return v;
  // The quantizer's step a / n, in the quantizer's dtype, times the integer level: bit for bit the
  // value fake_quantize outputs at that level. The bound is read detached: an injected fault is not
  // a signal to train the clip with.
  const torch::Tensor step = bound_.detach().to(v.options()) / static_cast<double>(max_level_);
  return v * step;
}

std::vector<double> ErrorInjectionImpl::stuck_values() const {
  torch::Tensor v = values(torch::TensorOptions().dtype(bound_.defined() ? bound_.scalar_type() : torch::kDouble));
  v = v.to(torch::kDouble).contiguous();
  return std::vector<double>(v.data_ptr<double>(), v.data_ptr<double>() + v.numel());
}

void ErrorInjectionImpl::set_p(double p) {
  if (!(p >= 0 && p <= 1)) throw ConfigError("error injection: p must be in [0, 1], got " + std::to_string(p));
  p_ = p;
}

torch::Tensor ErrorInjectionImpl::draw(const torch::Tensor& x) const {
  std::vector<int64_t> shape = x.sizes().vec();
  if (x.dim() == 4 && granularity_ == Granularity::Channel) shape[2] = shape[3] = 1;  // eq. 4
  if (x.dim() == 4 && granularity_ == Granularity::Pixel) shape[1] = 1;               // eq. 5
  return torch::rand(shape, x.options());
}

torch::Tensor ErrorInjectionImpl::inject(const torch::Tensor& x, const torch::Tensor& r) const {
  if (p_ <= 0) return x;
  const auto m = static_cast<int64_t>(values_.size());
  torch::Tensor mask = r < p_;
  // r in [p j / M, p (j+1) / M) selects e_j; the clamp only matters where mask is false.
  torch::Tensor j = (r * (static_cast<double>(m) / p_)).to(torch::kLong).clamp_max(m - 1);
  torch::Tensor eps = values(x.options()).index({j});
  // where() passes no gradient to x at masked positions: eq. 3.
  return torch::where(mask, eps, x);
}

torch::Tensor ErrorInjectionImpl::forward(const torch::Tensor& x) {
  if (!enabled_ || !is_training() || p_ <= 0) return x;
  return inject(x, draw(x));
}

void ErrorInjectionImpl::pretty_print(std::ostream& stream) const {
  stream << "ErrorInjection(p=" << p_ << ", " << to_string(granularity_) << ", values=" << values_.size()
         << (enabled_ ? "" : ", disabled") << ")";
}

}  // namespace faultscape
