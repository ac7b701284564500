#include "faults/number_format.h"

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <cmath>
#include <cstring>

#include "common/error.h"

namespace faultscape {

bool NumberFormat::valid(const std::string& n) {
  if (n == "fp32" || n == "fp16" || n == "bf16") return true;
  if (n.size() < 4 || n.size() > 5 || n.compare(0, 3, "int") != 0) return false;  // int1..int16: stoi stays in range
  for (size_t i = 3; i < n.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(n[i]))) return false;
  int b = std::stoi(n.substr(3));
  return b >= 1 && b <= 16;
}

NumberFormat NumberFormat::parse(const std::string& n) {
  if (!valid(n)) throw ConfigError("number format: expected fp32, fp16, bf16 or int1..int16, got \"" + n + "\"");
  if (n == "fp32") return {Kind::FP32, 32};
  if (n == "fp16") return {Kind::FP16, 16};
  if (n == "bf16") return {Kind::BF16, 16};
  return {Kind::Int, std::stoi(n.substr(3))};
}

std::string NumberFormat::name() const {
  switch (kind) {
    case Kind::FP32:
      return "fp32";
    case Kind::FP16:
      return "fp16";
    case Kind::BF16:
      return "bf16";
    default:
      return "int" + std::to_string(bits);
  }
}

uint32_t NumberFormat::sign_mask() const { return 1u << (bits - 1); }

uint32_t NumberFormat::exponent_mask() const {
  switch (kind) {
    case Kind::FP32:
      return 0xffu << 23;
    case Kind::FP16:
      return 0x1fu << 10;
    case Kind::BF16:
      return 0xffu << 7;
    default:
      return 0;
  }
}

uint32_t NumberFormat::mantissa_mask() const { return word_mask() & ~sign_mask() & ~exponent_mask(); }

uint32_t NumberFormat::encode(float v, double scale) const {
  switch (kind) {
    case Kind::FP32: {
      uint32_t w;
      std::memcpy(&w, &v, 4);
      return w;
    }
    case Kind::FP16:
      return c10::Half(v).x;
    case Kind::BF16:
      return c10::BFloat16(v).x;
    default: {
      if (bits == 1) return v >= 0 ? 1u : 0u;
      const double lo = -std::ldexp(1.0, bits - 1), hi = std::ldexp(1.0, bits - 1) - 1;
      double q = std::nearbyint(static_cast<double>(v) / scale);
      q = std::isnan(q) ? 0 : std::min(hi, std::max(lo, q));
      return static_cast<uint32_t>(static_cast<int32_t>(q)) & word_mask();
    }
  }
}

float NumberFormat::decode(uint32_t w, double scale) const {
  switch (kind) {
    case Kind::FP32: {
      float v;
      std::memcpy(&v, &w, 4);
      return v;
    }
    case Kind::FP16: {
      c10::Half h;
      h.x = static_cast<uint16_t>(w);
      return static_cast<float>(h);
    }
    case Kind::BF16: {
      c10::BFloat16 b;
      b.x = static_cast<uint16_t>(w);
      return static_cast<float>(b);
    }
    default: {
      w &= word_mask();
      if (bits == 1) return static_cast<float>(w ? scale : -scale);
      // Sign-extend the N-bit two's complement word.
      int32_t q = (w & sign_mask()) ? static_cast<int32_t>(w | ~word_mask()) : static_cast<int32_t>(w);
      return static_cast<float>(q * scale);
    }
  }
}

}  // namespace faultscape
