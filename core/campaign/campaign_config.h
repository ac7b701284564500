// The project file's "campaign" object: which fault campaign an experiment runs.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace faultscape {

class Reader;

struct CampaignConfig {
  std::string kind = "golden";  // golden | stuck_sweep | ber_sweep
  std::vector<double> bers;     // ber_sweep: explicit rates, or a log-spaced range:
  double ber_from = 0, ber_to = 0;
  int ber_points = 0;
  int trials = 10;            // trials per rate (the minimum when adaptive)
  double target_ci = 0;       // adaptive: stop a rate once its 95 % CI is narrower (accuracy points)
  int max_trials = 0;         // adaptive cap; 0 = 10 x trials
  bool per_layer = false;     // repeat the campaign with faults restricted to one layer at a time
  uint64_t seed = 1;          // fault seed: trial t draws its faults from (seed, t)
  int64_t test_limit = 0;     // evaluate on the first N test images; 0 = all
  int64_t batch_size = 1000;  // images per forward pass
  int64_t cache_mb = 2048;    // memory for cached golden activations (prefix reuse)
  int fault_batch = 0;        // stuck sweep: fault instances stacked per pass; 0 = automatic

  // The rates of a ber_sweep: the explicit list or the log-spaced range.
  std::vector<double> rates() const;
};

void read_config(Reader& reader, CampaignConfig& out);
nlohmann::json to_json(const CampaignConfig& campaign);

}  // namespace faultscape
