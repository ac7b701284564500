#include "models/max_pool.h"

#include <torch/torch.h>

namespace faultscape {
namespace {

// max over the `k` phases of dimension `dim` with stride k (the rows or columns of every window).
torch::Tensor max_of_phases(const torch::Tensor& x, int64_t dim, int64_t k) {
  const int64_t end = (x.size(dim) / k) * k;
  torch::Tensor m = x.slice(dim, 0, end, k);
  for (int64_t i = 1; i < k; ++i) m = torch::maximum(m, x.slice(dim, i, end, k));
  return m;
}

}  // namespace

torch::Tensor MaxPoolImpl::forward(const torch::Tensor& x) {
  const auto& k = *options.kernel_size();
  const auto& s = *options.stride();
  const auto& p = *options.padding();
  const auto& d = *options.dilation();
  const bool strided_windows = x.dim() == 4 && k[0] == s[0] && k[1] == s[1] && p[0] == 0 && p[1] == 0 && d[0] == 1 &&
                               d[1] == 1 && !options.ceil_mode() && x.size(2) >= k[0] && x.size(3) >= k[1];
  if (!strided_windows) return torch::max_pool2d(x, k, s, p, d, options.ceil_mode());
  return max_of_phases(max_of_phases(x, 2, k[0]), 3, k[1]);
}

}  // namespace faultscape
