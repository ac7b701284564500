#include "study/experiment_outcome.h"

namespace faultscape {

nlohmann::json ExperimentOutcome::to_json() const {
  nlohmann::json j = {{"model_path", model_path},
                      {"model_sha256", model_sha256},
                      {"eval_run", eval_run},
                      {"evaluation", evaluation.to_json()}};
  if (campaign_run) {
    j["campaign_run"] = campaign_run;
    nlohmann::json c = campaign;
    c.erase("predictions");  // per-image data stays in the database
    j["campaign"] = c;
  }
  if (!pruning.is_null()) {
    j["pruning"] = pruning;
    if (prune_run) j["prune_run"] = prune_run;
  }
  if (train_run) {
    j["train_run"] = train_run;
    j["training"] = training.to_json();
  }
  return j;
}

}  // namespace faultscape
