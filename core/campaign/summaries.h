// A campaign's summary is a function of its recorded trials (and the golden accuracy): the sweeps
// compute it from their rows, and merging shard databases recomputes it from the merged rows, so
// one process, MPI ranks and merged Slurm shards report the same numbers.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

#include "store/result_store.h"

namespace faultscape {

// BER sweep trial indices are stable whatever the trial counts: (layer group, rate, trial in point).
constexpr int64_t kTrialsPerPoint = 1000000;
inline int64_t ber_trial_index(int64_t point, int64_t t) { return point * kTrialsPerPoint + t; }
inline int64_t ber_point_of(int64_t trial_index) { return trial_index / kTrialsPerPoint; }

// One BER point (layer, rate) from its trials: accuracy statistics, drop, SDC rates, faults.
nlohmann::json ber_point_summary(const std::vector<TrialRow>& rows, double golden);
// Every point of a BER sweep, grouped by point index, in point order.
nlohmann::json ber_points(const std::vector<TrialRow>& rows, double golden);

// Stuck sweep: per layer (stage) min / max / mean / variance, its worst fault and drops, and the
// same over all layers.
nlohmann::json stuck_layers(const std::vector<TrialRow>& rows, double golden);

}  // namespace faultscape
