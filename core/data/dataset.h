// Datasets held in memory: images as NCHW float32 (normalised), labels as int64.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace faultscape {

struct Dataset {
  std::string name;
  torch::Tensor images;  // [N, C, H, W] float32, contiguous
  torch::Tensor labels;  // [N] int64
  int64_t num_classes = 0;
  std::vector<std::string> class_names;
  // Per-channel normalisation applied to `images` (training-split statistics of pixels in [0, 1]);
  // empty when the images are raw [0, 1]. Pixel = image * channel_std + channel_mean.
  std::vector<double> channel_mean;
  std::vector<double> channel_std;

  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  std::vector<int64_t> image_shape() const;  // {C, H, W}
};

struct DatasetSplit {
  Dataset train;
  Dataset test;
};

// What the project file's "dataset" object holds.
struct DatasetConfig {
  std::string name = "fashion-mnist";  // fashion-mnist | mnist | cifar10 | cifar100 | synthetic
  std::string path;                    // directory of the files; empty: the standard location
  int64_t train_limit = 0;             // first N training images; 0 = all
  int64_t test_limit = 0;              // first N test images; 0 = all
  bool normalize = true;               // subtract the training mean, divide by the std per channel
  bool augment = false;                // CIFAR: random crop (padding 4) + horizontal flip in training;
                                       // load_dataset ignores it: the trainer calls augment_batch()
                                       // on training batches only
  // synthetic only: a seeded, learnable toy problem (class-dependent patterns plus noise)
  int64_t synthetic_train = 512;
  int64_t synthetic_test = 256;
  std::vector<int64_t> synthetic_shape = {1, 28, 28};
  int64_t synthetic_classes = 10;
  uint64_t seed = 1;
};

// Loads train and test splits; throws DataError naming the file and problem.
// Limits keep the first N images of a split (a limit above the split's size keeps all of it).
DatasetSplit load_dataset(const DatasetConfig& config);

// The names load_dataset accepts, and the directory it reads when DatasetConfig::path is empty
// ("" for synthetic; DataError for an unknown name).
std::vector<std::string> dataset_names();
std::string default_dataset_path(const std::string& name);

// Training-time augmentation for CIFAR-like data: random crop with zero padding and random
// horizontal flip, applied to a batch [B, C, H, W] with the given (CPU) generator; each image gets
// its own offsets and flip. Returns a new tensor of the same shape, dtype and device. On normalised
// images the zero padding is the training mean. Throws DataError for a batch that is not 4-D or a
// negative padding.
torch::Tensor augment_batch(const torch::Tensor& batch, int64_t padding, torch::Generator& gen);

}  // namespace faultscape
