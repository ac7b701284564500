// Faults in stored words, applied to a float tensor wherever it lives: the word of each element is
// encoded in its number format, its bits flipped or forced, and decoded back, all as tensor
// operations on the tensor's own device (a CUDA tensor never visits the host). Same result, bit for
// bit, as NumberFormat's scalar encode / flip / force / decode on the host.
#pragma once
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "faults/number_format.h"

namespace faultscape {

struct WordEdit {
  int64_t index = 0;   // flat element index
  uint32_t flip = 0;   // bits flipped in the stored word
  uint32_t ones = 0;   // bits forced to 1
  uint32_t zeros = 0;  // bits forced to 0
  bool replace = false;
  float value = 0;  // replace: the word reads as this value (then `flip` applies to it)
};

// Edits of one element merged in order, as applying them one after another would: flips cancel in
// pairs, a replacement discards earlier edits, later forced bits win. Sorted by index.
std::vector<WordEdit> merge_word_edits(std::vector<WordEdit> edits);

// Encoded words (int64, the word in the low bits) of float values, and back.
torch::Tensor encode_words(const torch::Tensor& values, const NumberFormat& format, double scale);
torch::Tensor decode_words(const torch::Tensor& words, const NumberFormat& format, double scale);

// Applies merged edits (unique indices) in place to `flat`, a contiguous 1-D float tensor on any
// device, and returns the indices and old values for undo_word_edits.
struct WordUndo {
  torch::Tensor index;
  torch::Tensor old;
};
WordUndo apply_word_edits(torch::Tensor flat, const std::vector<WordEdit>& edits, const NumberFormat& format,
                          double scale);
void undo_word_edits(torch::Tensor flat, const WordUndo& undo);

}  // namespace faultscape
