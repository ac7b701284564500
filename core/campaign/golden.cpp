#include <torch/torch.h>

#include "campaign/campaigns.h"
#include "store/result_store.h"

namespace faultscape {

nlohmann::json run_golden(FaultyEvaluator& ev) {
  torch::Tensor p = ev.golden_predictions().cpu().contiguous();
  std::vector<int64_t> predictions(p.data_ptr<int64_t>(), p.data_ptr<int64_t>() + p.numel());
  return {
      {"kind", "golden"}, {"accuracy", ev.golden_accuracy()}, {"images", ev.images()}, {"predictions", predictions}};
}

std::string pairing_key(const FaultModel& fault, const CampaignConfig& config, const Network& net) {
  nlohmann::json sig = {
      {"faults", to_json(fault)}, {"seed", config.seed}, {"kind", config.kind}, {"test_limit", config.test_limit}};
  for (const auto& p : net->named_parameters()) sig["shapes"][p.key()] = p.value().sizes().vec();
  return ResultStore::hash_config(sig);
}

}  // namespace faultscape
