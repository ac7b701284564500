#include "study/protector.h"

#include <torch/torch.h>

#include <algorithm>

#include "protect/overhead.h"
#include "protect/schemes.h"
#include "runtime/device.h"

namespace faultscape {

// The protected network of `specs` (profiled on training images) and what the protection costs,
// as {"protection": {"schemes": [...], "overhead": {...}}} for the campaign summary.
Network protect_network(Network& net, const std::vector<ProtectionSpec>& specs, const DatasetSplit& data,
                        nlohmann::json& info, Observer* observer) {
  int64_t profile = 0;
  for (const auto& s : specs) profile = std::max(profile, s.profile_images);
  const int64_t n = std::min(profile, data.train.size());
  // Profiled where the network computes.
  const c10::Device device = module_device(*net);
  torch::Tensor train = data.train.images.narrow(0, 0, n).to(device),
                labels = data.train.labels.narrow(0, 0, n).to(device);
  nlohmann::json details;
  Network protected_net = specs.empty() ? net : apply_protection(net, specs, train, labels, details);
  protected_net->to(device);
  Overhead o = measure_overhead(net, protected_net,
                                data.test.images.narrow(0, 0, std::min<int64_t>(256, data.test.size())).to(device));
  reset_abft_counts(protected_net);
  info = {{"protection", {{"schemes", specs.empty() ? nlohmann::json::array() : details}, {"overhead", o.to_json()}}}};
  if (observer)
    observer->on_log("protection: " + std::to_string(specs.size()) + " scheme(s), params x" +
                     std::to_string(o.to_json()["params_ratio"].get<double>()) + ", hardware cost " +
                     std::to_string(o.hardware_cost()));
  return protected_net;
}

}  // namespace faultscape
