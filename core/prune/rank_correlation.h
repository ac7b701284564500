// Spearman rank correlation, to compare a vulnerability estimate with a measured ranking.
#pragma once
#include <vector>

namespace faultscape {

// Ranks 1..n, ties sharing their average rank.
std::vector<double> average_ranks(const std::vector<double>& values);

// Pearson correlation of the average ranks; NaN when either side is constant or sizes differ / < 2.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace faultscape
