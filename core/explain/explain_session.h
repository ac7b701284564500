// An experiment opened for explaining faults: its test images, its network (loaded, reused from an
// earlier training run, or trained and recorded like `run` does) and the protection currently
// applied to it. The explorer's worker and `faultscape-cli explain` both work through one.
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "explain/explainer.h"
#include "project/project.h"
#include "store/result_store.h"
#include "study/experiment_outcome.h"

namespace faultscape {

// A stored stuck-sweep trial: its run, its row and the fault it injected.
struct StoredTrial {
  RunRow run;
  TrialRow trial;
  ExplainFault fault;
};

class ExplainSession {
 public:
  ExplainSession(const Project& project, const std::string& experiment, const RunControl& control = {});

  const Project& project() const { return project_; }
  const Experiment& experiment() const { return experiment_; }
  const Dataset& test() const { return data_.test; }
  Network& model() { return model_; }  // the unprotected network
  const ExperimentOutcome& outcome() const { return outcome_; }

  // The protection schemes, an array like the experiment's "protection" ([] = none). Networks are
  // kept per protection, so toggling back is instant. Throws ValidationError naming the scheme field.
  void set_protection(const nlohmann::json& protection);
  const nlohmann::json& protection() const { return protection_; }
  Network& network();  // the network with the current protection
  nlohmann::json protection_details() const { return details_; }

  // An explainer over test images `indices` (each checked against the test set's size).
  Explainer explainer(const std::vector<int64_t>& indices);
  // A replay ({"replay": {"run", "trial"}}) resolved from the results database; others unchanged.
  ExplainFault resolve(const ExplainFault& fault) const;
  StoredTrial stored_trial(int64_t run, int64_t trial) const;
  // The trial of lowest accuracy of the experiment's latest complete stuck sweep; none without one.
  std::optional<StoredTrial> worst_stuck_trial() const;
  // Images a campaign evaluates: the first campaign.test_limit test images (all when 0).
  int64_t campaign_images() const;

 private:
  Project project_;
  Experiment experiment_;
  DatasetSplit data_;
  ExperimentOutcome outcome_;
  Network model_{nullptr};
  nlohmann::json protection_ = nlohmann::json::array();
  nlohmann::json details_;
  std::vector<std::pair<std::string, Network>> protected_;  // by the protection's JSON dump
  std::vector<std::pair<std::string, nlohmann::json>> protected_details_;
  Network current_{nullptr};
};

}  // namespace faultscape
