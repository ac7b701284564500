#include "protect/schemes.h"

#include <torch/torch.h>

#include "common/error.h"
#include "runtime/device.h"
#include "protect/abft.h"
#include "protect/block_paths.h"
#include "protect/scheme.h"

namespace faultscape {

Network apply_scheme(const Network& net, const ProtectionSpec& spec, const torch::Tensor& images,
                     const torch::Tensor& labels, nlohmann::json& details) {
  const Scheme* scheme = find_scheme(spec.scheme);
  if (!scheme || !spec.params) throw ConfigError(spec.path + ".scheme: unknown scheme \"" + spec.scheme + "\"");
  details = spec.to_json();
  ProfileData data{images, labels, Network(nullptr), torch::Tensor()};
  // Layers inside residual blocks first; the scheme then protects the other stages as before.
  Network src =
      scheme->block_reach() == BlockReach::Inside ? protect_inside_blocks(net, *scheme, spec, data, details) : net;
  Network out = scheme->apply(src, spec, data, details);
  out->eval();
  return out;
}

Network apply_protection(const Network& net, const std::vector<ProtectionSpec>& specs, const torch::Tensor& images,
                         const torch::Tensor& labels, nlohmann::json& details) {
  details = nlohmann::json::array();
  Network current = net;
  const c10::Device device = module_device(*net);
  for (const auto& spec : specs) {
    nlohmann::json d;
    current = apply_scheme(current, spec, images, labels, d);
    current->to(device);  // layers a scheme built (on the CPU) join the network's device
    details.push_back(d);
  }
  return current;
}

nlohmann::json abft_counts(Network& net) {
  AbftCounts total;
  for (const auto& m : net->modules())
    if (auto* a = dynamic_cast<AbftImpl*>(m.get())) {
      total.checked += a->counts.checked;
      total.detected += a->counts.detected;
      total.corrected += a->counts.corrected;
      total.uncorrectable += a->counts.uncorrectable;
    }
  return {{"checked", total.checked},
          {"detected", total.detected},
          {"corrected", total.corrected},
          {"uncorrectable", total.uncorrectable}};
}

void reset_abft_counts(Network& net) {
  for (const auto& m : net->modules())
    if (auto* a = dynamic_cast<AbftImpl*>(m.get())) a->counts = {};
}

}  // namespace faultscape
