// A seeded, learnable toy problem: every class owns a smooth random pattern, an image is its
// class pattern plus pixel noise. Smooth (upsampled) patterns give convolutions something spatial
// to learn; the noise keeps a single pixel from deciding the class.
#include "common/error.h"
#include "data/formats.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <sstream>

namespace faultscape::dataio {

namespace {

constexpr double kNoiseStd = 0.35;

std::string shape_text(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

Dataset sample(const torch::Tensor& patterns, int64_t n, torch::Generator& gen) {
  const int64_t classes = patterns.size(0);
  Dataset d;
  d.labels = torch::randint(0, classes, {n}, gen, torch::kLong);
  auto noise = torch::randn({n, patterns.size(1), patterns.size(2), patterns.size(3)}, gen);
  d.images = patterns.index_select(0, d.labels).add_(noise.mul_(kNoiseStd)).clamp_(0.0, 1.0);
  return d;
}

}  // namespace

DatasetSplit make_synthetic(const DatasetConfig& config) {
  const auto& shape = config.synthetic_shape;
  if (shape.size() != 3 || shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0) {
    throw DataError("synthetic dataset: synthetic_shape must be [C, H, W] with positive sizes, got " +
                    shape_text(shape));
  }
  if (config.synthetic_classes < 2) {
    throw DataError("synthetic dataset: synthetic_classes must be at least 2, got " +
                    std::to_string(config.synthetic_classes));
  }
  if (config.synthetic_train <= 0 || config.synthetic_test <= 0) {
    throw DataError("synthetic dataset: synthetic_train and synthetic_test must be positive, got " +
                    std::to_string(config.synthetic_train) + " and " + std::to_string(config.synthetic_test));
  }

  const int64_t c = shape[0], h = shape[1], w = shape[2], k = config.synthetic_classes;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(config.seed);

  // Class patterns: uniform noise on a grid 4x coarser, bilinearly upsampled to full size.
  const int64_t gh = std::max<int64_t>(1, (h + 3) / 4), gw = std::max<int64_t>(1, (w + 3) / 4);
  auto coarse = torch::rand({k, c, gh, gw}, gen);
  namespace F = torch::nn::functional;
  auto patterns = F::interpolate(
      coarse, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kBilinear).align_corners(false));

  DatasetSplit split;
  // Train first, then test, from one generator: both are fixed by the seed alone.
  split.train = sample(patterns, config.synthetic_train, gen);
  split.test = sample(patterns, config.synthetic_test, gen);
  for (Dataset* d : {&split.train, &split.test}) {
    d->name = "synthetic";
    d->num_classes = k;
    for (int64_t i = 0; i < k; ++i) d->class_names.push_back("class_" + std::to_string(i));
  }
  return split;
}

}  // namespace faultscape::dataio
