// The error-injection layer of fault-aware training (Zahid et al., FAT, section IV-A).
//
// Forward (eq. 1): with M stuck values e_0..e_{M-1} and a uniform random tensor r,
//   out_i = e_j    if p_{j-1} <= r_i < p_j   (p_{-1} = 0)
//   out_i = in_i   if r_i >= p
// Eq. 2 as extracted reads p_j = p * j / (M-1), which would never inject e_0; the paper's text and
// example ("5 % over {-1, 1}: 2.5 % each") split p evenly, so the thresholds here are
//   p_j = p * (j + 1) / M,   j = 0..M-1,   i.e. each stuck value has probability p / M.
// Backward (eq. 3): d out_i / d in_i = 0 where r_i < p (an injected value does not depend on the
// input), 1 elsewhere; no 1/(1-p) scaling (unlike dropout).
// Granularity is the shape r is drawn in before broadcasting to the input (eqs. 4, 5):
//   channel: r_c in [b, c, 1, 1] (a whole feature map stuck), pixel: r_p in [b, 1, h, w] (one
//   position stuck in every channel), element: r in [b, c, h, w]. A [b, features] input (a linear
//   layer) has one value per channel and pixel, so every granularity is per element there.
// The layer injects only when enabled and in training mode, so evaluation is always error-free.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>
#include <vector>

namespace faultscape {

enum class Granularity { Element, Channel, Pixel };
Granularity parse_granularity(const std::string& name);  // throws ConfigError
std::string to_string(Granularity g);

// Stuck values that follow an activation quantizer's clipping bound a (learnable or not):
// value_k = level_k * (a / max_level), recomputed at every forward pass the way fake_quantize
// computes its levels, so they stay levels of the quantizer while training moves a.
struct QuantizerStuckValues {
  std::vector<double> levels;  // integer level indices, e.g. {-n, 0, n}
  torch::Tensor bound;         // the quantizer's bound tensor (shared, read detached)
  int64_t max_level = 1;       // n
};

class ErrorInjectionImpl : public torch::nn::Module {
 public:
  ErrorInjectionImpl(std::vector<double> stuck_values, double p, Granularity granularity);
  ErrorInjectionImpl(QuantizerStuckValues stuck_values, double p, Granularity granularity);

  torch::Tensor forward(const torch::Tensor& x);
  // The random tensor of eqs. 4 / 5 for input x (before broadcasting), U(0, 1).
  torch::Tensor draw(const torch::Tensor& x) const;
  // Eqs. 1-3 for a given r (broadcastable to x): forward value and gradient.
  torch::Tensor inject(const torch::Tensor& x, const torch::Tensor& r) const;

  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }
  void set_p(double p);
  double p() const { return p_; }
  Granularity granularity() const { return granularity_; }
  // The values injected now (for quantizer-following values: at the bound's current value).
  std::vector<double> stuck_values() const;
  void pretty_print(std::ostream& stream) const override;

 private:
  torch::Tensor values(const torch::TensorOptions& options) const;

  std::vector<double> values_;  // absolute values, or level indices when bound_ is defined
  torch::Tensor bound_;
  int64_t max_level_ = 1;
  double p_;
  Granularity granularity_;
  bool enabled_ = true;
};
TORCH_MODULE(ErrorInjection);

}  // namespace faultscape
