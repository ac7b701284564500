#include "prune/stuck_ranking.h"

#include <torch/torch.h>

#include <limits>

namespace faultscape {

std::vector<ChannelScores> measured_stuck_drop(Network& net, const Dataset& data, const std::vector<int>& stages,
                                               const std::vector<double>& values, int64_t limit, int64_t batch_size) {
  torch::InferenceMode guard;
  const bool was_training = net->is_training();
  net->eval();
  const int64_t n = limit > 0 ? std::min(limit, data.size()) : data.size();
  torch::Tensor labels = data.labels.narrow(0, 0, n);
  const auto end = net->size();
  std::vector<ChannelScores> out;
  for (int s : stages) {
    ChannelScores scores{s, net->stage(s).name, {}};
    // The activations at the site are computed once; each fault reruns only the stages after it.
    std::vector<torch::Tensor> site;
    int64_t golden_correct = 0;
    for (int64_t b = 0; b < n; b += batch_size) {
      torch::Tensor a = net->forward_range(data.images.narrow(0, b, std::min(batch_size, n - b)), 0, s + 1);
      golden_correct +=
          net->forward_range(a.clone(), s + 1, end).argmax(1).eq(labels.narrow(0, b, a.size(0))).sum().item<int64_t>();
      site.push_back(a);
    }
    const int64_t channels = site.front().size(1);
    for (int64_t c = 0; c < channels; ++c) {
      double worst = -std::numeric_limits<double>::infinity();
      for (double v : values) {
        int64_t correct = 0, b = 0;
        for (const torch::Tensor& a : site) {
          torch::Tensor faulty = a.clone();
          faulty.select(1, c).fill_(v);
          correct +=
              net->forward_range(faulty, s + 1, end).argmax(1).eq(labels.narrow(0, b, a.size(0))).sum().item<int64_t>();
          b += a.size(0);
        }
        worst = std::max(worst, 100.0 * static_cast<double>(golden_correct - correct) / static_cast<double>(n));
      }
      scores.score.push_back(worst);
    }
    out.push_back(scores);
  }
  net->train(was_training);
  return out;
}

}  // namespace faultscape
