// Fuzz target: the IDX loader (MNIST / Fashion-MNIST files, plain or gzip). The first byte picks
// which of a split's four files the rest of the bytes replace (bits 0-1: train images, train
// labels, test images, test labels; bit 2: named .gz, the name load_dataset prefers); the other
// three are small valid files. The dataset is loaded as a project loads it (load_dataset: both
// splits read concurrently, counts and labels checked, limits, normalisation), so the fuzzer
// reaches the loader through its real entry point.
#include <torch/torch.h>

#include <array>
#include <vector>

#include "data/dataset.h"
#include "fuzz_support.h"

namespace {

std::vector<uint8_t> idx(uint32_t magic, const std::vector<uint32_t>& dims, uint8_t fill) {
  std::vector<uint8_t> out;
  auto word = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  };
  word(magic);
  size_t payload = 1;
  for (uint32_t d : dims) {
    word(d);
    payload *= d;
  }
  out.insert(out.end(), payload, fill);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace faultscape;
  if (size < 1) return 0;
  static const std::array<std::string, 4> names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                   "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  static const std::array<std::vector<uint8_t>, 4> good = {idx(0x803, {20, 28, 28}, 7), idx(0x801, {20}, 3),
                                                           idx(0x803, {5, 28, 28}, 9), idx(0x801, {5}, 1)};
  const auto dir = fuzz::scratch_dir() / "idx";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const size_t which = data[0] & 3;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i == which)
      fuzz::write_file(dir / (names[i] + ((data[0] & 4) ? ".gz" : "")), data + 1, size - 1);
    else
      fuzz::write_file(dir / names[i], good[i].data(), good[i].size());
  }
  DatasetConfig config;
  config.name = "fashion-mnist";
  config.path = dir.string();
  config.train_limit = 10;
  fuzz::expect_clean(dir.string(), [&] { load_dataset(config); });
  return 0;
}
