// The fault campaigns. Each streams its trials through a TrialRecorder (database + observer),
// polls the stop token between trials, skips trials an earlier attempt already recorded (resume),
// and returns a JSON summary computed from all recorded trials.
#pragma once
#include <nlohmann/json.hpp>

#include "campaign/campaign_config.h"
#include "campaign/faulty_evaluator.h"
#include "campaign/trial_executor.h"
#include "campaign/trial_recorder.h"
#include "common/observer.h"
#include "faults/fault_model.h"

namespace faultscape {

struct CampaignIO {
  TrialRecorder& recorder;
  Observer* observer = nullptr;
  const StopToken* stop = nullptr;
  TrialExecutor* executor = nullptr;  // null: every trial here, in order
};

// Golden run: accuracy and the per-image predictions every later trial is compared with.
nlohmann::json run_golden(FaultyEvaluator& ev);

// FAT Algorithm 1: every stuck value x every selected layer x every channel (pixel, element).
nlohmann::json run_stuck_sweep(FaultyEvaluator& ev, const FaultModel& fault, const CampaignConfig& config,
                               CampaignIO& io);

// Monte Carlo over rates: N trials per rate (adaptive when target_ci > 0), optionally per layer.
nlohmann::json run_ber_sweep(FaultyEvaluator& ev, const FaultModel& fault, const CampaignConfig& config,
                             CampaignIO& io);

// Identifies the faults a campaign draws: two runs with equal keys saw identical faults
// (paired comparison of protection variants or models of the same architecture).
std::string pairing_key(const FaultModel& fault, const CampaignConfig& config, const Network& net);

}  // namespace faultscape
