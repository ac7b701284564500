// Number formats in which hardware stores weights and activations, and bit-level faults in them.
//
// A value is encoded into the format's word, bits are flipped (or forced) there, and the word is
// decoded back to float:
//   fp32: IEEE binary32, bits 0-22 mantissa, 23-30 exponent, 31 sign
//   fp16: IEEE binary16, bits 0-9 mantissa, 10-14 exponent, 15 sign
//   bf16: bfloat16,      bits 0-6 mantissa, 7-14 exponent, 15 sign
//   intN: N-bit two's complement integer q with value q * scale (the layer's quantization step);
//         int1 is binary: bit 1 = +scale, bit 0 = -scale (FINN's {-1, +1} weights).
#pragma once
#include <cstdint>
#include <string>

namespace faultscape {

struct NumberFormat {
  enum class Kind { FP32, FP16, BF16, Int };
  Kind kind = Kind::FP32;
  int bits = 32;  // bits per word

  // "fp32", "fp16", "bf16", "int1" .. "int16"; throws ConfigError otherwise.
  static NumberFormat parse(const std::string& name);
  static bool valid(const std::string& name);
  std::string name() const;

  // Bit masks of the fields (float formats); intN: sign = top bit, mantissa = the rest.
  uint32_t sign_mask() const;
  uint32_t exponent_mask() const;
  uint32_t mantissa_mask() const;
  uint32_t word_mask() const { return bits >= 32 ? 0xffffffffu : ((1u << bits) - 1u); }

  uint32_t encode(float value, double scale) const;
  float decode(uint32_t word, double scale) const;

  // value with the bits of `mask` flipped in its stored word.
  float flip(float value, uint32_t mask, double scale) const { return decode(encode(value, scale) ^ mask, scale); }
  // value with the bits of `ones` forced to 1 and those of `zeros` forced to 0 (stuck-at bits).
  float force(float value, uint32_t ones, uint32_t zeros, double scale) const {
    return decode((encode(value, scale) | ones) & ~zeros, scale);
  }
};

}  // namespace faultscape
