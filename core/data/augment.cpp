// augment_batch(): per-image random crop (zero padding) and horizontal flip as one gather.
// Each output pixel (b, h, w) reads padded pixel (oy_b + h, ox_b + (flip_b ? W-1-w : w)), so the
// whole batch costs one pad and one gather instead of B narrow/flip/copy sequences.
#include "common/error.h"
#include "data/dataset.h"

#include <torch/torch.h>

namespace faultscape {

torch::Tensor augment_batch(const torch::Tensor& batch, int64_t padding, torch::Generator& gen) {
  if (!batch.defined() || batch.dim() != 4) {
    throw DataError("augment_batch: expected a batch [B, C, H, W], got a tensor of " +
                    std::to_string(batch.defined() ? batch.dim() : 0) + " dimensions");
  }
  if (padding < 0) {
    throw DataError("augment_batch: padding must be >= 0, got " + std::to_string(padding));
  }
  const int64_t b = batch.size(0), c = batch.size(1), h = batch.size(2), w = batch.size(3);
  if (b == 0) return batch.clone();
  const int64_t padded_w = w + 2 * padding;

  // Random choices are drawn on the CPU generator, then the index moves to the batch's device.
  const auto offsets = torch::randint(0, 2 * padding + 1, {b, 2}, gen, torch::kLong);
  const auto flip = torch::randint(0, 2, {b, 1}, gen, torch::kLong).to(torch::kBool);
  const auto rows = offsets.narrow(1, 0, 1) + torch::arange(h, torch::kLong);  // [B, H]
  const auto cols_ltr = torch::arange(w, torch::kLong);
  const auto cols = offsets.narrow(1, 1, 1) + torch::where(flip, cols_ltr.flip(0), cols_ltr);
  const auto index = (rows.unsqueeze(2) * padded_w + cols.unsqueeze(1))  // [B, H, W]
                         .view({b, 1, h * w})
                         .expand({b, c, h * w})
                         .to(batch.device());

  const auto padded = padding > 0 ? torch::constant_pad_nd(batch, {padding, padding, padding, padding}, 0) : batch;
  return padded.reshape({b, c, -1}).gather(2, index).view({b, c, h, w});
}

}  // namespace faultscape
