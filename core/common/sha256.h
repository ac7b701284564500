// SHA-256 (FIPS 180-4) of byte strings and files: the identity of a trained model file. A
// cryptographic hash rather than a fast checksum because two different models must never be
// mistaken for one another (crc32 / FNV collide too easily for identity); implemented here to keep
// the engine free of a crypto library dependency, checked against the FIPS test vectors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace faultscape {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  std::string hex();  // 64 lowercase hex digits; finishes the hash

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t length_ = 0;  // bytes hashed so far
};

std::string sha256_hex(const std::string& bytes);
// The SHA-256 of a file's bytes; throws Error naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace faultscape
