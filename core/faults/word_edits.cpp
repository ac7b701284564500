#include "faults/word_edits.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>

namespace faultscape {
namespace {

constexpr int64_t k32 = int64_t{1} << 32;

// The low `bits` bits of w (int64) as a signed value of that width (two's complement).
torch::Tensor sign_extend(const torch::Tensor& w, int bits) {
  const int64_t top = int64_t{1} << (bits - 1), span = int64_t{1} << bits;
  return torch::where(w.ge(top), w - span, w);
}

}  // namespace

std::vector<WordEdit> merge_word_edits(std::vector<WordEdit> edits) {
  std::stable_sort(edits.begin(), edits.end(), [](const WordEdit& a, const WordEdit& b) { return a.index < b.index; });
  std::vector<WordEdit> out;
  for (const WordEdit& e : edits) {
    if (out.empty() || out.back().index != e.index) {
      out.push_back(e);
      continue;
    }
    WordEdit& m = out.back();
    if (e.replace) {
      m = e;
      continue;
    }
    m.flip ^= e.flip;
    m.ones = (m.ones | e.ones) & ~e.zeros;
    m.zeros = (m.zeros | e.zeros) & ~e.ones;
  }
  return out;
}

torch::Tensor encode_words(const torch::Tensor& v, const NumberFormat& f, double scale) {
  using K = NumberFormat::Kind;
  switch (f.kind) {
    case K::FP32:
      return v.to(torch::kFloat).contiguous().view(torch::kInt).to(torch::kLong).bitwise_and(k32 - 1);
    case K::FP16:
      return v.to(torch::kHalf).contiguous().view(torch::kShort).to(torch::kLong).bitwise_and(0xffff);
    case K::BF16:
      return v.to(torch::kBFloat16).contiguous().view(torch::kShort).to(torch::kLong).bitwise_and(0xffff);
    default: {
      if (f.bits == 1) return v.ge(0).to(torch::kLong);
      const double lo = -std::ldexp(1.0, f.bits - 1), hi = std::ldexp(1.0, f.bits - 1) - 1;
      torch::Tensor q = torch::round(v.to(torch::kDouble) / scale);  // half to even, as nearbyint
      q = torch::nan_to_num(q, 0.0, hi, lo).clamp(lo, hi);
      return q.to(torch::kLong).bitwise_and(static_cast<int64_t>(f.word_mask()));
    }
  }
}

torch::Tensor decode_words(const torch::Tensor& words, const NumberFormat& f, double scale) {
  using K = NumberFormat::Kind;
  torch::Tensor w = words.bitwise_and(static_cast<int64_t>(f.word_mask()));
  switch (f.kind) {
    case K::FP32:
      return sign_extend(w, 32).to(torch::kInt).contiguous().view(torch::kFloat);
    case K::FP16:
      return sign_extend(w, 16).to(torch::kShort).contiguous().view(torch::kHalf).to(torch::kFloat);
    case K::BF16:
      return sign_extend(w, 16).to(torch::kShort).contiguous().view(torch::kBFloat16).to(torch::kFloat);
    default:
      if (f.bits == 1)
        return torch::where(w.ne(0), torch::full_like(w, scale, torch::kDouble),
                            torch::full_like(w, -scale, torch::kDouble))
            .to(torch::kFloat);
      return (sign_extend(w, f.bits).to(torch::kDouble) * scale).to(torch::kFloat);
  }
}

WordUndo apply_word_edits(torch::Tensor flat, const std::vector<WordEdit>& edits, const NumberFormat& format,
                          double scale) {
  torch::NoGradGuard no_grad;
  WordUndo undo;
  const int64_t n = static_cast<int64_t>(edits.size());
  if (n == 0) return undo;
  // Two host-to-device copies per call: the packed integer fields and the replacement values.
  torch::Tensor fields = torch::empty({5, n}, torch::kLong);
  torch::Tensor values = torch::empty({n}, torch::kFloat);
  auto f = fields.accessor<int64_t, 2>();
  auto v = values.accessor<float, 1>();
  bool any_replace = false, any_bits = false;
  for (int64_t i = 0; i < n; ++i) {
    const WordEdit& e = edits[static_cast<size_t>(i)];
    f[0][i] = e.index, f[1][i] = e.flip, f[2][i] = e.ones, f[3][i] = e.zeros, f[4][i] = e.replace;
    v[i] = e.value;
    any_replace = any_replace || e.replace;
    any_bits = any_bits || e.flip || e.ones || e.zeros;
  }
  fields = fields.to(flat.device());
  undo.index = fields[0];
  undo.old = flat.index_select(0, undo.index);
  torch::Tensor out = undo.old;
  if (any_replace) out = torch::where(fields[4].ne(0), values.to(flat.device()), out);
  if (any_bits) {
    torch::Tensor w = encode_words(out, format, scale).bitwise_xor(fields[1]);
    w = w.bitwise_or(fields[2]).bitwise_and(fields[3].bitwise_not());
    // Only words with bits to change are re-encoded (a replaced int value keeps its exact value).
    const torch::Tensor has_bits = (fields[1] | fields[2] | fields[3]).ne(0);
    out = torch::where(has_bits, decode_words(w, format, scale), out);
  }
  flat.index_copy_(0, undo.index, out);
  return undo;
}

void undo_word_edits(torch::Tensor flat, const WordUndo& undo) {
  torch::NoGradGuard no_grad;
  if (undo.index.defined()) flat.index_copy_(0, undo.index, undo.old);
}

}  // namespace faultscape
