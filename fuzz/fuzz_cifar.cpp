// Fuzz target: the CIFAR loader (binary batches of CIFAR-10 and CIFAR-100). The first byte picks
// the dataset (bit 0: CIFAR-10 or CIFAR-100) and which of its files the rest of the bytes replace
// (bits 1-3, modulo the number of files: data_batch_1..5.bin and test_batch.bin, or train.bin and
// test.bin); the others hold two valid records. Loaded through load_dataset, as a project loads it.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/dataset.h"
#include "fuzz_support.h"

namespace {

std::vector<uint8_t> records(int64_t label_bytes, int64_t n) {
  std::vector<uint8_t> out;
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t l = 0; l < label_bytes; ++l) out.push_back(static_cast<uint8_t>(r + l));
    for (int64_t p = 0; p < 3 * 32 * 32; ++p) out.push_back(static_cast<uint8_t>(p * 7 + r));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace faultscape;
  if (size < 1) return 0;
  const bool cifar100 = data[0] & 1;
  const std::vector<std::string> names =
      cifar100 ? std::vector<std::string>{"train.bin", "test.bin"}
               : std::vector<std::string>{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                          "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
  static const std::vector<uint8_t> good10 = records(1, 2), good100 = records(2, 2);
  const auto dir = fuzz::scratch_dir() / "cifar";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const size_t which = static_cast<size_t>((data[0] >> 1) & 7) % names.size();
  for (size_t i = 0; i < names.size(); ++i) {
    if (i == which)
      fuzz::write_file(dir / names[i], data + 1, size - 1);
    else
      fuzz::write_file(dir / names[i], (cifar100 ? good100 : good10).data(), (cifar100 ? good100 : good10).size());
  }
  DatasetConfig config;
  config.name = cifar100 ? "cifar100" : "cifar10";
  config.path = dir.string();
  fuzz::expect_clean(dir.string(), [&] { load_dataset(config); });
  return 0;
}
