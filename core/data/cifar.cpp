// CIFAR-10 / CIFAR-100 binary batches: fixed-size records, read whole into one uint8 tensor and
// split into label and pixel columns with tensor views.
#include "common/error.h"
#include "common/file_checks.h"
#include "data/formats.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

namespace faultscape::dataio {

namespace {
constexpr int64_t kChannels = 3, kSide = 32, kPixelBytes = kChannels * kSide * kSide;  // 3072
// The official files hold 10000 (CIFAR-10 batches, test files) or 50000 (CIFAR-100 train) records;
// a file claiming far more (a sparse or hostile file) is refused before gigabytes are allocated.
constexpr int64_t kMaxRecords = 100000;
}  // namespace

RawSplit read_cifar(const std::string& file, int64_t label_bytes, int64_t label_index, int64_t num_classes) {
  const int64_t record = label_bytes + kPixelBytes;
  if (!std::filesystem::exists(file)) throw DataError(file + ": file not found");
  try {
    check_input_file(file, "CIFAR file");  // a FIFO would block, a device never end
  } catch (const Error& e) {
    throw DataError(e.what());
  }
  std::error_code ec;
  const auto size = static_cast<int64_t>(std::filesystem::file_size(file, ec));
  if (ec) throw DataError(file + ": cannot read: " + ec.message());
  if (size == 0 || size % record != 0) {
    throw DataError(file + ": size " + std::to_string(size) + " bytes is not a positive multiple of the " +
                    std::to_string(record) + "-byte record");
  }
  const int64_t n = size / record;
  if (n > kMaxRecords)
    throw DataError(file + ": " + std::to_string(n) + " records (" + std::to_string(size) + " bytes), more than the " +
                    std::to_string(kMaxRecords) + " a CIFAR file can hold");

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f) throw DataError(file + ": cannot open for reading");
  torch::Tensor raw = torch::empty({n, record}, torch::kUInt8);
  const size_t got = std::fread(raw.data_ptr<uint8_t>(), 1, static_cast<size_t>(size), f.get());
  if (static_cast<int64_t>(got) != size) {
    throw DataError(file + ": read " + std::to_string(got) + " of " + std::to_string(size) + " bytes");
  }

  RawSplit out;
  out.labels = raw.select(1, label_index).clone();
  const auto bad = (out.labels >= num_classes).nonzero();
  if (bad.size(0) > 0) {
    const int64_t i = bad[0][0].item<int64_t>();
    throw DataError(file + ": label " + std::to_string(out.labels[i].item<int64_t>()) + " of record " +
                    std::to_string(i) + " is out of range [0, " + std::to_string(num_classes) + ")");
  }
  // Pixels are stored plane by plane (R, G, B), row-major: exactly the CHW layout.
  out.images = raw.narrow(1, label_bytes, kPixelBytes).reshape({n, kChannels, kSide, kSide});
  return out;
}

}  // namespace faultscape::dataio
