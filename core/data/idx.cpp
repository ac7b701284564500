// IDX reader (MNIST family), plain or gzip through zlib's gz* interface, which reads plain files
// transparently. The payload is decompressed straight into the tensor's storage.
#include "common/error.h"
#include "common/file_checks.h"
#include "data/formats.h"

#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <memory>

namespace faultscape::dataio {
namespace {

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// RAII around gzFile; every failure is reported against the file name.
class GzReader {
 public:
  explicit GzReader(std::string file) : file_(std::move(file)) {
    f_ = gzopen(file_.c_str(), "rb");
    if (!f_) throw DataError(file_ + ": cannot open for reading");
    gzbuffer(f_, 1 << 20);  // 1 MiB input buffer: fewer read() calls on the 26 MB training file
  }
  ~GzReader() {
    if (f_) gzclose_r(f_);
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  const std::string& file() const { return file_; }
  int64_t consumed() const { return consumed_; }

  // Reads up to n bytes; returns how many were read (fewer only at the end of the data).
  // A damaged compressed stream (bad block, CRC or length mismatch) throws.
  int64_t read(void* dst, int64_t n) {
    auto* out = static_cast<unsigned char*>(dst);
    int64_t done = 0;
    while (done < n) {
      // gzread takes an unsigned and returns an int: read in chunks of at most 1 GiB.
      const auto chunk = static_cast<unsigned>(std::min<int64_t>(n - done, int64_t{1} << 30));
      const int got = gzread(f_, out + done, chunk);
      if (got < 0) throw DataError(file_ + ": corrupt gzip stream: " + error_text());
      if (got == 0) {
        int err = Z_OK;
        gzerror(f_, &err);
        // Z_BUF_ERROR: the compressed stream ended before its end marker.
        if (err == Z_BUF_ERROR)
          truncated_stream_ = true;
        else if (err != Z_OK)
          throw DataError(file_ + ": corrupt gzip stream: " + error_text());
        break;
      }
      done += got;
    }
    consumed_ += done;
    return done;
  }
  bool truncated_stream() const { return truncated_stream_; }

 private:
  std::string error_text() {
    int err = Z_OK;
    std::string msg = gzerror(f_, &err);
    // zlib prefixes the message with the path, which our message already starts with.
    if (msg.rfind(file_ + ": ", 0) == 0) msg.erase(0, file_.size() + 2);
    return msg.empty() ? "zlib error " + std::to_string(err) : msg;
  }

  std::string file_;
  gzFile f_ = nullptr;
  int64_t consumed_ = 0;
  bool truncated_stream_ = false;
};

uint32_t big_endian(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

[[noreturn]] void throw_truncated(const GzReader& in, int64_t expected) {
  throw DataError(in.file() + ": truncated" + (in.truncated_stream() ? " gzip stream" : "") + ": expected " +
                  std::to_string(expected) + " bytes, got " + std::to_string(in.consumed()));
}

// The file's size, and for a gzip file the uncompressed size its trailer records (ISIZE, modulo
// 2^32; -1 for a plain file): what the header's dimensions are checked against before allocating.
struct FileSizes {
  int64_t bytes = 0;
  int64_t gzip_isize = -1;
};

FileSizes file_sizes(const std::string& file) {
  check_input_file(file, "IDX file");  // a FIFO would block in open(), a device never end
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f) throw DataError(file + ": cannot open for reading");
  FileSizes sizes;
  unsigned char magic[2] = {0, 0}, trailer[4] = {0, 0, 0, 0};
  const size_t got = std::fread(magic, 1, 2, f.get());
  std::fseek(f.get(), 0, SEEK_END);
  sizes.bytes = std::ftell(f.get());
  if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b && sizes.bytes >= 18 && std::fseek(f.get(), -4, SEEK_END) == 0 &&
      std::fread(trailer, 1, 4, f.get()) == 4)
    sizes.gzip_isize =
        int64_t{trailer[0]} | int64_t{trailer[1]} << 8 | int64_t{trailer[2]} << 16 | int64_t{trailer[3]} << 24;
  return sizes;
}

}  // namespace

torch::Tensor read_idx(const std::string& file, uint32_t expected_magic) {
  const FileSizes sizes = file_sizes(file);
  GzReader in(file);

  // Header: magic (0x0000, type 0x08 = unsigned byte, number of dimensions), then the dimensions.
  std::array<unsigned char, 4> word{};
  const int64_t ndim = expected_magic & 0xff;
  const int64_t header_bytes = 4 + 4 * ndim;
  if (in.read(word.data(), 4) < 4) throw_truncated(in, header_bytes);
  const uint32_t magic = big_endian(word.data());
  if (magic != expected_magic) {
    throw DataError(file + ": bad magic number " + hex32(magic) + ", expected " + hex32(expected_magic) + " (IDX " +
                    (expected_magic == kIdxImagesMagic ? "images" : "labels") + ")");
  }

  std::vector<int64_t> dims;
  int64_t payload = 1;
  for (int64_t d = 0; d < ndim; ++d) {
    if (in.read(word.data(), 4) < 4) throw_truncated(in, header_bytes);
    const int64_t size = big_endian(word.data());
    // A zero or absurd dimension means a damaged header; refuse before allocating anything.
    if (size == 0) throw DataError(file + ": dimension " + std::to_string(d) + " is zero");
    // Compared before multiplying: payload <= 2^34 and size < 2^32 could overflow int64 together
    // (found by fuzz_idx: dimensions 0xffffff00 x 0x1c000000 x ...).
    constexpr int64_t kMaxPayload = int64_t{1} << 34;
    if (size > kMaxPayload / payload) {
      throw DataError(file + ": implausible dimensions in the IDX header (over 16 GiB of data)");
    }
    payload *= size;
    dims.push_back(size);
  }

  const int64_t expected = header_bytes + payload;
  // The header's promise against the file, before allocating: a damaged or hostile header must
  // not cost gigabytes of memory. A plain file has exactly that size. Deflate expands at most
  // 1032:1, and above 256 MiB (5x the largest official IDX file) the gzip trailer's record of the
  // uncompressed size (mod 2^32) must agree too; smaller files are checked as they are read.
  const std::string got = ", got " + std::to_string(sizes.gzip_isize < 0 ? sizes.bytes : sizes.gzip_isize);
  if (sizes.gzip_isize < 0 && sizes.bytes < expected)
    throw DataError(file + ": truncated: expected " + std::to_string(expected) + " bytes" + got);
  if (sizes.gzip_isize >= 0 && expected / 1032 > sizes.bytes)
    throw DataError(file + ": the IDX header promises " + std::to_string(expected) + " bytes, more than " +
                    std::to_string(sizes.bytes) + " bytes of gzip data can hold");
  if (sizes.gzip_isize >= 0 && expected > (int64_t{256} << 20) && sizes.gzip_isize != (expected & 0xffffffff))
    throw DataError(file + ": the IDX header promises " + std::to_string(expected) +
                    " bytes but the gzip trailer records " + std::to_string(sizes.gzip_isize) +
                    " (mod 2^32): damaged, or not a single gzip member");
  torch::Tensor data = torch::empty(dims, torch::kUInt8);
  if (in.read(data.data_ptr<uint8_t>(), payload) < payload) throw_truncated(in, expected);

  // Nothing may follow. Reading on to the end also makes zlib verify the gzip CRC and length.
  std::vector<unsigned char> rest(1 << 16);
  while (in.read(rest.data(), static_cast<int64_t>(rest.size())) > 0) {}
  if (in.consumed() > expected) {
    throw DataError(file + ": trailing data: expected " + std::to_string(expected) + " bytes, got " +
                    std::to_string(in.consumed()));
  }
  if (in.truncated_stream()) {
    throw DataError(file +
                    ": truncated gzip stream: the data is complete but the gzip trailer "
                    "is missing");
  }
  return data;
}

}  // namespace faultscape::dataio
