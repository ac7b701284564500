// bypass: the named stages removed, e.g. layers flagged faulty; the network keeps its accuracy when
// it was trained with sub-networks (sub-network abstract, paper 003; training.subnetwork).
#include <algorithm>

#include "models/module_copy.h"
#include "protect/scheme.h"
#include "protect/stage_tools.h"
#include "train/subnetwork.h"

namespace faultscape {
namespace {

class BypassScheme : public Scheme {
 public:
  const SchemeInfo& info() const override {
    static const SchemeInfo i{
        "bypass",
        "Bypass layers",
        "Removes the named stages (layers flagged faulty) from the network, which keeps its accuracy when it was "
        "trained with sub-networks (sub-network abstract, paper 003)",
        {{"layers",
          "Layers",
          FieldSchema::Type::List,
          "The stages to remove, each keeping its input's shape (e.g. a residual block); required (paper 003)",
          nlohmann::json::array(),
          {},
          0,
          2147483647,
          "required, e.g. block2_1"}}};
    return i;
  }

  void read(Reader& r, ProtectionSpec& spec) const override {
    spec.params = std::make_shared<SchemeParams>();
    if (spec.layers.empty()) r.problem("layers", "bypass needs the stages to remove, e.g. [\"block2_1\"]");
  }

  void write(const ProtectionSpec&, nlohmann::json&) const override {}

  BlockReach block_reach() const override { return BlockReach::None; }

  Network apply(const Network& net, const ProtectionSpec& spec, const ProfileData&,
                nlohmann::json& details) const override {
    Network src = net;
    std::vector<int> gone = bypassable_stages(src, spec.layers, spec.path + ".layers");
    Network out = empty_like(net);
    for (size_t i = 0; i < net->size(); ++i)
      if (std::find(gone.begin(), gone.end(), static_cast<int>(i)) == gone.end()) copy_stage(out, net->stage(i));
    details["removed"] = spec.layers;
    return out;
  }
};

}  // namespace

const Scheme& bypass_scheme() {
  static const BypassScheme scheme;
  return scheme;
}

}  // namespace faultscape
