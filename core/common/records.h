// The kinds of result records the engine streams to its observers while it works, so a consumer
// (the workbench's live figures, the terminal) dispatches on a type instead of guessing from a
// string or the fields present. Each record is the JSON object of its producer:
//   Epoch       EpochMetrics::to_json()  (train/trainer.h)
//   Evaluation  EvalResult::to_json()    (train/evaluate.h)
//   BerTrial    a BER-sweep trial row: {run, trial, params {rate, rate_index, trial, layer}, accuracy, metrics}
//   StuckTrial  a stuck-at sweep trial row: {run, trial, params {stage, layer, channel, value, ...}, accuracy, metrics}
//   BerPoint    one rate's statistics: {layer, rate, trials, accuracy {mean, ci95, ...}, drop, ...}
//   Campaign    a campaign's summary (kind ber_sweep | stuck_sweep | golden | protection_grid)
// No LibTorch, no Qt.
#pragma once
#include <string>

namespace faultscape {

enum class RecordKind { Epoch, Evaluation, BerTrial, StuckTrial, BerPoint, Campaign };

inline bool is_trial(RecordKind kind) { return kind == RecordKind::BerTrial || kind == RecordKind::StuckTrial; }

}  // namespace faultscape
