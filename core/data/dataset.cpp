// load_dataset(): picks the files of each named dataset, applies the split limits, converts bytes
// to float NCHW and standardises per channel with the (limited) training split's statistics.
#include "common/error.h"
#include "data/dataset.h"
#include "data/formats.h"

#include <torch/torch.h>

#include <filesystem>
#include <future>
#include <optional>

namespace faultscape {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kFashionNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
const std::vector<std::string> kDigitNames = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
const std::vector<std::string> kCifar10Names = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                "dog",      "frog",       "horse", "ship", "truck"};

// CIFAR-100 fine labels, in label order (alphabetical, as in the archive's fine_label_names.txt).
const std::vector<std::string> kCifar100Names = {
    "apple",      "aquarium_fish", "baby",         "bear",       "beaver",      "bed",         "bee",
    "beetle",     "bicycle",       "bottle",       "bowl",       "boy",         "bridge",      "bus",
    "butterfly",  "camel",         "can",          "castle",     "caterpillar", "cattle",      "chair",
    "chimpanzee", "clock",         "cloud",        "cockroach",  "couch",       "crab",        "crocodile",
    "cup",        "dinosaur",      "dolphin",      "elephant",   "flatfish",    "forest",      "fox",
    "girl",       "hamster",       "house",        "kangaroo",   "keyboard",    "lamp",        "lawn_mower",
    "leopard",    "lion",          "lizard",       "lobster",    "man",         "maple_tree",  "motorcycle",
    "mountain",   "mouse",         "mushroom",     "oak_tree",   "orange",      "orchid",      "otter",
    "palm_tree",  "pear",          "pickup_truck", "pine_tree",  "plain",       "plate",       "poppy",
    "porcupine",  "possum",        "rabbit",       "raccoon",    "ray",         "road",        "rocket",
    "rose",       "sea",           "seal",         "shark",      "shrew",       "skunk",       "skyscraper",
    "snail",      "snake",         "spider",       "squirrel",   "streetcar",   "sunflower",   "sweet_pepper",
    "table",      "tank",          "telephone",    "television", "tiger",       "tractor",     "train",
    "trout",      "tulip",         "turtle",       "wardrobe",   "whale",       "willow_tree", "wolf",
    "woman",      "worm"};

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& item : items) s += (s.empty() ? "" : ", ") + item;
  return s;
}

// The raw splits of one dataset before conversion: images [N, C, H, W] uint8, labels [N].
struct RawDataset {
  dataio::RawSplit train, test;
  int64_t num_classes = 0;
  std::vector<std::string> class_names;
};

// `base` or `base.gz` in dir, preferring the compressed file.
std::string find_idx_file(const fs::path& dir, const std::string& base) {
  for (const auto& name : {base + ".gz", base}) {
    if (fs::is_regular_file(dir / name)) return (dir / name).string();
  }
  throw DataError((dir / base).string() + "(.gz): file not found");
}

dataio::RawSplit read_idx_split(const fs::path& dir, const std::string& prefix, int64_t num_classes) {
  const auto image_file = find_idx_file(dir, prefix + "-images-idx3-ubyte");
  const auto label_file = find_idx_file(dir, prefix + "-labels-idx1-ubyte");
  // The two files decompress in parallel: the images dominate, the labels ride along for free.
  auto labels_future =
      std::async(std::launch::async, [&] { return dataio::read_idx(label_file, dataio::kIdxLabelsMagic); });
  torch::Tensor images = dataio::read_idx(image_file, dataio::kIdxImagesMagic);
  torch::Tensor labels = labels_future.get();

  if (images.size(0) != labels.size(0)) {
    throw DataError(image_file + ": " + std::to_string(images.size(0)) + " images but " + label_file + " has " +
                    std::to_string(labels.size(0)) + " labels");
  }
  const auto bad = (labels >= num_classes).nonzero();
  if (bad.size(0) > 0) {
    const int64_t i = bad[0][0].item<int64_t>();
    throw DataError(label_file + ": label " + std::to_string(labels[i].item<int64_t>()) + " at index " +
                    std::to_string(i) + " is out of range [0, " + std::to_string(num_classes) + ")");
  }
  return {images.unsqueeze(1), labels};  // [N, 1, rows, cols]
}

RawDataset load_idx(const fs::path& dir, const std::vector<std::string>& class_names) {
  RawDataset raw;
  raw.num_classes = static_cast<int64_t>(class_names.size());
  raw.class_names = class_names;
  // Training and test files are independent: read them concurrently.
  auto test = std::async(std::launch::async, [&] { return read_idx_split(dir, "t10k", raw.num_classes); });
  raw.train = read_idx_split(dir, "train", raw.num_classes);
  raw.test = test.get();
  return raw;
}

// The directory holding `probe`: dir itself or its `subdir` (the name the official archive
// extracts to).
fs::path cifar_dir(const fs::path& dir, const std::string& subdir, const std::string& probe) {
  if (fs::is_regular_file(dir / probe)) return dir;
  if (fs::is_regular_file(dir / subdir / probe)) return dir / subdir;
  throw DataError((dir / probe).string() + ": file not found (nor in " + subdir +
                  "/; the binary version of the dataset is expected)");
}

dataio::RawSplit concat(const std::vector<dataio::RawSplit>& parts) {
  if (parts.size() == 1) return parts[0];
  std::vector<torch::Tensor> images, labels;
  for (const auto& p : parts) {
    images.push_back(p.images);
    labels.push_back(p.labels);
  }
  return {torch::cat(images), torch::cat(labels)};
}

RawDataset load_cifar10(const fs::path& path) {
  const fs::path dir = cifar_dir(path, "cifar-10-batches-bin", "data_batch_1.bin");
  RawDataset raw;
  raw.num_classes = 10;
  raw.class_names = kCifar10Names;
  std::vector<dataio::RawSplit> batches;
  for (int i = 1; i <= 5; ++i) {
    const auto file = dir / ("data_batch_" + std::to_string(i) + ".bin");
    batches.push_back(dataio::read_cifar(file.string(), 1, 0, 10));
  }
  raw.train = concat(batches);
  raw.test = dataio::read_cifar((dir / "test_batch.bin").string(), 1, 0, 10);
  return raw;
}

RawDataset load_cifar100(const fs::path& path) {
  const fs::path dir = cifar_dir(path, "cifar-100-binary", "train.bin");
  RawDataset raw;
  raw.num_classes = 100;
  raw.class_names = kCifar100Names;
  // Records: coarse label, fine label, pixels. The fine label (100 classes) is the task.
  raw.train = dataio::read_cifar((dir / "train.bin").string(), 2, 1, 100);
  raw.test = dataio::read_cifar((dir / "test.bin").string(), 2, 1, 100);
  return raw;
}

// "28x28" / "3x32x32": the shape of one image of a split.
std::string shape_text(const torch::Tensor& images) {
  std::string text;
  for (int64_t d = 1; d < images.dim(); ++d) text += (d > 1 ? "x" : "") + std::to_string(images.size(d));
  return text;
}

// The first `limit` items (0 = all) of a split.
torch::Tensor first(const torch::Tensor& t, int64_t limit) {
  return limit > 0 && limit < t.size(0) ? t.narrow(0, 0, limit) : t;
}

void set_stats(Dataset& d, const dataio::ChannelStats& stats) {
  d.channel_mean = stats.mean;
  d.channel_std = stats.sd;
}

}  // namespace

std::vector<int64_t> Dataset::image_shape() const {
  if (!images.defined() || images.dim() != 4) return {};
  return {images.size(1), images.size(2), images.size(3)};
}

std::vector<std::string> dataset_names() { return {"fashion-mnist", "mnist", "cifar10", "cifar100", "synthetic"}; }

std::string default_dataset_path(const std::string& name) {
  if (name == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";
  if (name == "mnist") return "/usr/share/datasets/mnist";
  if (name == "cifar10") return "/usr/share/datasets/cifar10";
  if (name == "cifar100") return "/usr/share/datasets/cifar100";
  if (name == "synthetic") return "";
  throw DataError("unknown dataset \"" + name + "\"; valid names: " + join(dataset_names()));
}

DatasetSplit load_dataset(const DatasetConfig& config) {
  const std::string default_path = default_dataset_path(config.name);  // validates the name
  if (config.train_limit < 0 || config.test_limit < 0) {
    throw DataError("dataset \"" + config.name + "\": train_limit and test_limit must be >= 0, got " +
                    std::to_string(config.train_limit) + " and " + std::to_string(config.test_limit));
  }

  DatasetSplit split;
  if (config.name == "synthetic") {
    split = dataio::make_synthetic(config);
    for (Dataset* d : {&split.train, &split.test}) {
      const int64_t limit = d == &split.train ? config.train_limit : config.test_limit;
      d->images = first(d->images, limit).clone();  // clone: drop the rest of the storage
      d->labels = first(d->labels, limit).clone();
    }
    if (config.normalize) {
      const auto stats = dataio::float_stats(split.train.images);
      for (Dataset* d : {&split.train, &split.test}) {
        dataio::standardize(d->images, stats);
        set_stats(*d, stats);
      }
    }
    return split;
  }

  const fs::path dir = config.path.empty() ? default_path : config.path;
  if (!fs::is_directory(dir)) {
    throw DataError(dir.string() + ": dataset directory for \"" + config.name + "\" " +
                    (fs::exists(dir) ? "is not a directory" : "does not exist"));
  }
  RawDataset raw = config.name == "fashion-mnist" ? load_idx(dir, kFashionNames)
                   : config.name == "mnist"       ? load_idx(dir, kDigitNames)
                   : config.name == "cifar10"     ? load_cifar10(dir)
                                                  : load_cifar100(dir);
  // One model sees both splits: images of another shape would fail deep inside LibTorch.
  if (raw.train.images.sizes().slice(1) != raw.test.images.sizes().slice(1))
    throw DataError(dir.string() + ": training images are " + shape_text(raw.train.images) + " but test images are " +
                    shape_text(raw.test.images) + "; both splits need one image shape");
  const auto train_images = first(raw.train.images, config.train_limit);
  const auto test_images = first(raw.test.images, config.test_limit);
  // Statistics of the (limited) training bytes; conversion and standardisation in one pass.
  std::optional<dataio::ChannelStats> stats;
  if (config.normalize) stats = dataio::byte_stats(train_images);
  const auto* s = stats ? &*stats : nullptr;
  split.train.images = dataio::bytes_to_float(train_images, s);
  split.test.images = dataio::bytes_to_float(test_images, s);
  split.train.labels = first(raw.train.labels, config.train_limit).to(torch::kLong);
  split.test.labels = first(raw.test.labels, config.test_limit).to(torch::kLong);
  for (Dataset* d : {&split.train, &split.test}) {
    d->name = config.name;
    d->num_classes = raw.num_classes;
    d->class_names = raw.class_names;
    if (stats) set_stats(*d, *stats);
  }
  return split;
}

}  // namespace faultscape
