#include "campaign/statistics.h"

#include <algorithm>
#include <cmath>

namespace faultscape {

double student_t95(int64_t df) {
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                 2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df <= 0) return 0;
  if (df <= 30) return table[df - 1];
  return 1.960 + 2.4 / df;  // close to the exact quantile beyond 30 degrees of freedom
}

SampleStats sample_stats(const std::vector<double>& v) {
  SampleStats s;
  s.n = static_cast<int64_t>(v.size());
  if (v.empty()) return s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / s.n;
  double sq = 0;
  for (double x : v) sq += (x - s.mean) * (x - s.mean);
  s.variance = s.n > 1 ? sq / (s.n - 1) : 0;
  s.std = std::sqrt(s.variance);
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  s.ci95 = s.n > 1 ? student_t95(s.n - 1) * s.std / std::sqrt(static_cast<double>(s.n)) : 0;
  return s;
}

nlohmann::json SampleStats::to_json() const {
  return {{"n", n}, {"mean", mean}, {"std", std}, {"variance", variance}, {"min", min}, {"max", max}, {"ci95", ci95}};
}

}  // namespace faultscape
