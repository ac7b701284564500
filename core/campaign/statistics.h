// Sample statistics of trial results: mean, standard deviation, Student-t 95 % confidence interval.
#pragma once
#include <nlohmann/json.hpp>

#include <vector>

namespace faultscape {

struct SampleStats {
  int64_t n = 0;
  double mean = 0, std = 0, variance = 0, min = 0, max = 0;
  double ci95 = 0;  // half width of the 95 % confidence interval of the mean
  nlohmann::json to_json() const;
};

SampleStats sample_stats(const std::vector<double>& values);
double student_t95(int64_t degrees_of_freedom);  // two-sided 97.5 % quantile

}  // namespace faultscape
