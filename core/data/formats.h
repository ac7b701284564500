// File formats behind load_dataset(); internal to core/data. Each reader validates the whole file
// and throws DataError naming the file and the problem.
#pragma once
#include "data/dataset.h"

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace faultscape::dataio {

// IDX files as distributed with MNIST / Fashion-MNIST, plain or gzip-compressed (decided by the
// content, so a .gz that is really plain also reads). Magic 0x00000803 for images, 0x00000801 for
// labels. Returns the payload as a uint8 tensor shaped by the header's dimensions:
// images [N, rows, cols], labels [N].
torch::Tensor read_idx(const std::string& file, uint32_t expected_magic);
constexpr uint32_t kIdxImagesMagic = 0x00000803;
constexpr uint32_t kIdxLabelsMagic = 0x00000801;

// CIFAR binary batches: records of `label_bytes` label bytes followed by 3x32x32 pixel bytes.
// `label_index` picks the label byte to keep (CIFAR-100: 0 = coarse, 1 = fine).
struct RawSplit {
  torch::Tensor images;  // [N, C, H, W] uint8
  torch::Tensor labels;  // [N] uint8 / int64
};
RawSplit read_cifar(const std::string& file, int64_t label_bytes, int64_t label_index, int64_t num_classes);

// Per-channel statistics of pixel values in [0, 1]; sd is never 0 (a constant channel gets 1).
struct ChannelStats {
  std::vector<double> mean, sd;
};
// Exact statistics of uint8 images [N, C, H, W] from per-channel byte histograms (no float pass).
ChannelStats byte_stats(const torch::Tensor& images);
// Statistics of float images [N, C, H, W], accumulated in double.
ChannelStats float_stats(const torch::Tensor& images);
// uint8 images -> contiguous float: x / 255, or (x / 255 - mean) / sd per channel when `stats` is
// given, in one multiply-add pass.
torch::Tensor bytes_to_float(const torch::Tensor& images, const ChannelStats* stats);
// In place (x - mean) / sd per channel on float images.
void standardize(torch::Tensor& images, const ChannelStats& stats);

// The seeded toy problem of DatasetConfig's synthetic_* fields, as float images in [0, 1].
DatasetSplit make_synthetic(const DatasetConfig& config);

}  // namespace faultscape::dataio
