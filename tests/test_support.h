// Helpers shared by the test executables: scratch directories and float comparisons.
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace faultscape::test {

// FAULTSCAPE_TEST_TMP/<name>, created if needed; earlier contents stay.
inline std::string test_path(const std::string& name) {
  const auto path = std::filesystem::path(FAULTSCAPE_TEST_TMP) / name;
  std::filesystem::create_directories(path.parent_path());
  return path.string();
}

// FAULTSCAPE_TEST_TMP/<name> as an empty directory.
inline std::string fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::path(FAULTSCAPE_TEST_TMP) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Two float32 computations of the same function that differ in shape (batch size, a split layer,
// replicated channels summed in another order) agree only up to rounding: each output is a sum of
// at most a few thousand products, so its error is bounded by about n * 2^-24 * sum |terms|.
// 1e-4 relative to the outputs' scale bounds that for the small networks of the tests.
constexpr double kFloatTolerance = 1e-4;

inline bool close_values(const torch::Tensor& a, const torch::Tensor& b) {
  const double scale = std::max(1.0, b.abs().max().item<double>());
  return a.sizes() == b.sizes() && torch::allclose(a, b, kFloatTolerance, kFloatTolerance * scale);
}

// The same predicted class for every row of two logit tensors, except where the reference's best
// and second-best logits are closer than rounding can separate (a tie decided by the last bit).
inline bool same_predictions(const torch::Tensor& logits, const torch::Tensor& reference) {
  if (logits.sizes() != reference.sizes()) return false;
  const torch::Tensor differs = logits.argmax(1) != reference.argmax(1);
  if (!differs.any().item<bool>()) return true;
  const double scale = std::max(1.0, reference.abs().max().item<double>());
  const torch::Tensor top2 = std::get<0>(reference.topk(2, 1));
  const torch::Tensor margin = top2.select(1, 0) - top2.select(1, 1);
  return (margin.masked_select(differs) <= kFloatTolerance * scale).all().item<bool>();
}

}  // namespace faultscape::test
