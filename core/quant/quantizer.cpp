#include "quant/quantizer.h"

#include <torch/torch.h>

namespace faultscape {

int64_t quant_max_level(int bits) { return bits <= 1 ? 1 : (int64_t{1} << (bits - 1)) - 1; }

torch::Tensor fake_quantize(const torch::Tensor& x, int bits, const torch::Tensor& bound) {
  // min/max rather than clamp so that a tensor bound receives a gradient (PACT).
  torch::Tensor clipped = torch::min(torch::max(x, -bound), bound);
  torch::Tensor q;
  {
    torch::NoGradGuard no_grad;
    if (bits <= 1) {
      q = torch::where(x >= 0, bound, -bound);
    } else {
      torch::Tensor scale = bound / static_cast<double>(quant_max_level(bits));
      q = torch::round(clipped / scale) * scale;
    }
  }
  // Straight-through: forward value exactly q (clipped - clipped is exactly 0), gradient of the
  // clamp. Inference needs only q.
  if (!torch::GradMode::is_enabled()) return q;
  return q + (clipped - clipped.detach());
}

std::vector<double> quant_levels(int bits, double bound) {
  // Computed in float exactly as fake_quantize does (level index times the float scale), so that
  // every level compares equal to a quantized activation.
  const float b = static_cast<float>(bound);
  if (bits <= 1) return {-b, b};
  int64_t n = quant_max_level(bits);
  const float scale = b / static_cast<float>(n);
  std::vector<double> levels;
  for (int64_t i = -n; i <= n; ++i) levels.push_back(static_cast<float>(i) * scale);
  return levels;
}

QuantActImpl::QuantActImpl(int bits, double bound, bool learnable) : bits_(bits) {
  torch::Tensor b = torch::full({}, bound);
  bound_ = learnable ? register_parameter("bound", b) : register_buffer("bound", b);
}

torch::Tensor QuantActImpl::forward(const torch::Tensor& x) { return fake_quantize(x, bits_, bound_); }

double QuantActImpl::bound() const { return bound_.item<double>(); }

}  // namespace faultscape
