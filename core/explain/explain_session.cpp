#include "explain/explain_session.h"

#include <torch/torch.h>

#include <filesystem>

#include "common/error.h"
#include "runtime/device.h"
#include "study/model_provider.h"
#include "study/protector.h"

namespace faultscape {

ExplainSession::ExplainSession(const Project& project, const std::string& experiment, const RunControl& control)
    : project_(project), experiment_(project.experiment(experiment)) {
  // One image at a time: the explorer computes on the CPU whatever the project's device (a run
  // before it may have left a GPU as the compute device); a model it trains is trained there too.
  use_device(c10::Device(c10::kCPU));
  data_ = load_dataset(experiment_.dataset);
  ResultStore store(project_.database_path());
  model_ = prepare_network(project_, experiment_, data_, store, outcome_, control);
  model_->eval();
  current_ = model_;
  set_protection(experiment_.protection_json.is_null() ? nlohmann::json::array() : experiment_.protection_json);
}

void ExplainSession::set_protection(const nlohmann::json& protection) {
  const nlohmann::json p = protection.is_null() ? nlohmann::json::array() : protection;
  const std::string key = p.dump();
  for (size_t i = 0; i < protected_.size(); ++i)
    if (protected_[i].first == key) {
      protection_ = p, current_ = protected_[i].second, details_ = protected_details_[i].second;
      return;
    }
  const std::vector<ProtectionSpec> specs = parse_protection(p, "protection");
  nlohmann::json info = nlohmann::json::object();
  Network net = specs.empty() ? model_ : protect_network(model_, specs, data_, info, nullptr);
  net->eval();
  protected_.emplace_back(key, net);
  protected_details_.emplace_back(key, info);
  protection_ = p, current_ = net, details_ = info;
}

Network& ExplainSession::network() { return current_; }

Explainer ExplainSession::explainer(const std::vector<int64_t>& indices) {
  if (indices.empty()) throw ConfigError("image: no test image selected");
  for (int64_t i : indices)
    if (i < 0 || i >= data_.test.size())
      throw ConfigError("image: " + std::to_string(i) + " is outside the test set (" +
                        std::to_string(data_.test.size()) + " images, 0-" + std::to_string(data_.test.size() - 1) +
                        ")");
  torch::Tensor idx = torch::tensor(indices, torch::kLong);
  return Explainer(current_, data_.test.images.index_select(0, idx));
}

StoredTrial ExplainSession::stored_trial(int64_t run, int64_t trial) const {
  const std::string db = project_.database_path();
  if (!std::filesystem::exists(db)) throw StoreError(db + ": results database does not exist (no campaign run yet)");
  ResultStore store(db, ResultStore::Access::read_only);
  StoredTrial out{store.run(run), {}, {}};
  for (TrialRow& t : store.trials(run))
    if (t.trial == trial) out.trial = std::move(t);
  if (out.trial.params.empty())
    throw ConfigError("fault.replay.trial: run " + std::to_string(run) + " has no trial " + std::to_string(trial));
  out.fault = fault_of_trial(out.run, out.trial);
  return out;
}

ExplainFault ExplainSession::resolve(const ExplainFault& fault) const {
  if (fault.replay_run < 0 || !fault.layer.empty()) return fault;
  return stored_trial(fault.replay_run, fault.replay_trial).fault;
}

std::optional<StoredTrial> ExplainSession::worst_stuck_trial() const {
  const std::string db = project_.database_path();
  if (!std::filesystem::exists(db)) return std::nullopt;
  ResultStore store(db, ResultStore::Access::read_only);
  std::vector<RunRow> runs = store.runs({experiment_.name, "stuck_sweep", "complete"});
  for (auto r = runs.rbegin(); r != runs.rend(); ++r) {
    std::optional<TrialRow> worst;
    for (TrialRow& t : store.trials(r->id))
      if (t.params.contains("layer") && (!worst || t.accuracy < worst->accuracy)) worst = std::move(t);
    if (worst) return StoredTrial{*r, *worst, fault_of_trial(*r, *worst)};
  }
  return std::nullopt;
}

int64_t ExplainSession::campaign_images() const {
  const int64_t limit = experiment_.setup.campaign.test_limit;
  return limit > 0 ? std::min(limit, data_.test.size()) : data_.test.size();
}

}  // namespace faultscape
