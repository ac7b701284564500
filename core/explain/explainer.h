// What one fault does to one image (or a batch), stage by stage: the golden and faulty output of
// every stage, the error between them, the faulty prediction, and what the checker stages of a
// protected network caught. The golden pass is computed once per image and reused by every fault
// explained on it, so an update runs only the stages from the first faulty one on.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <string>
#include <vector>

#include "explain/explain_fault.h"
#include "models/network.h"

namespace faultscape {

// Error of one stage's faulty output against its golden output (over the whole batch).
struct StageError {
  std::string stage, kind;
  std::vector<int64_t> shape;  // one image's output shape
  int64_t numel = 0;           // elements over the batch
  double max_abs = 0;          // max |faulty - golden| over finite pairs
  double l2 = 0;               // || faulty - golden ||_2 over finite pairs
  int64_t corrupted = 0;       // elements that differ (a NaN / Inf counts when golden is finite)
  int64_t nonfinite = 0;       // NaN or Inf elements of the faulty output
};

// A checker stage (kind "check": voter, EDAC, range restriction) or the ABFT checkers of a layer:
// how many corrupted values reached it and how many left it.
struct CheckerReport {
  std::string stage;  // "conv0_vote", ...; "abft" for the summed ABFT counters
  std::string kind;   // vote | edac | range | abft
  int64_t corrupted_in = 0, corrupted_out = 0;
  nlohmann::json counts;  // abft: checked / detected / corrected / uncorrectable
  bool corrected() const { return corrupted_in > 0 && corrupted_out == 0; }
};

// The stored word a bit fault hits, before and after (for the explorer's bit view).
struct WordView {
  std::string format;  // "fp32", "int8", ...
  int bits = 0;
  uint32_t sign_mask = 0, exponent_mask = 0, mantissa_mask = 0;
  uint32_t before = 0, after = 0;
  double value_before = 0, value_after = 0;  // decoded
  double scale = 1;
};

struct Explanation {
  ExplainFault fault;
  std::string site;  // the tensor or activation site hit: "conv0.0.conv.weight", "conv1"
  int first_stage = 0;
  bool has_word = false;
  WordView word;
  std::vector<StageError> stages;  // one per stage of the network, in order
  std::vector<CheckerReport> checkers;
  torch::Tensor golden_probs, faulty_probs;  // [B, classes] softmax of the logits
  torch::Tensor golden_pred, faulty_pred;    // [B] top-1 classes
  // Per stage: golden and faulty outputs [B, ...] (faulty shares the golden tensor before first_stage).
  std::vector<torch::Tensor> golden, faulty;
  nlohmann::json to_json(int top_k = 5) const;  // stats, word, checkers and the top-k of image 0
};

class Explainer {
 public:
  // images: [B, C, H, W] in the network's input format (normalised like its dataset).
  Explainer(Network net, torch::Tensor images);
  Network& net() { return net_; }
  const torch::Tensor& images() const { return images_; }
  // Runs `fault` on the cached golden pass; the network's weights are restored exactly afterwards.
  // Throws ConfigError naming the field when the fault does not fit the network.
  Explanation explain(const ExplainFault& fault);
  // The golden outputs of every stage (computed once).
  const std::vector<torch::Tensor>& golden() const { return golden_; }

 private:
  Network net_;
  torch::Tensor images_;
  std::vector<torch::Tensor> golden_;
};

// Top-k (class, probability) of row `row` of probabilities.
std::vector<std::pair<int64_t, double>> top_k(const torch::Tensor& probs, int64_t row, int k);

}  // namespace faultscape
