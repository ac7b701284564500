#include "prune/channel_prune.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "models/channel_layers.h"

namespace faultscape {

std::vector<std::vector<int64_t>> lowest_channels(const std::vector<ChannelScores>& scores,
                                                  const std::vector<double>& ratios) {
  std::vector<std::vector<int64_t>> out;
  for (size_t i = 0; i < scores.size(); ++i) {
    const ChannelScores& layer = scores[i];
    const auto n = static_cast<int64_t>(layer.score.size());
    int64_t drop = std::min<int64_t>(n - 1, static_cast<int64_t>(std::floor(ratios.at(i) * n)));
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return layer.score[a] < layer.score[b]; });
    std::vector<int64_t> d(order.begin(), order.begin() + std::max<int64_t>(drop, 0));
    std::sort(d.begin(), d.end());
    out.push_back(d);
  }
  return out;
}

int64_t prune_by_scores(Network& net, const std::vector<ChannelScores>& scores,
                        const std::vector<std::vector<int64_t>>& drop) {
  int64_t removed = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (drop.at(i).empty()) continue;
    std::vector<int64_t> keep;
    for (int64_t c = 0; c < static_cast<int64_t>(scores[i].score.size()); ++c)
      if (!std::binary_search(drop[i].begin(), drop[i].end(), c)) keep.push_back(c);
    prune_stage_channels(net, scores[i].stage, keep);
    removed += static_cast<int64_t>(drop[i].size());
  }
  return removed;
}

}  // namespace faultscape
