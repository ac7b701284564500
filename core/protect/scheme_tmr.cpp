// tmr: each selected stage computed three times (three separate weight copies, outputs side by
// side) and a "<name>_vote" stage after it (classic TMR; hardening paper 002, sec. III-C).
#include <torch/torch.h>

#include "models/module_copy.h"
#include "protect/redundancy.h"
#include "protect/scheme.h"
#include "protect/stage_tools.h"

namespace faultscape {
namespace {

struct TmrParams : SchemeParams {
  std::string vote = "median";  // median | min (when all three replicas differ)
};

class TmrScheme : public Scheme {
 public:
  const SchemeInfo& info() const override {
    static const SchemeInfo i{
        "tmr",
        "TMR (triplication + voter)",
        "Triple modular redundancy: each layer is computed three times and a voter picks the output (classic TMR; "
        "hardening paper 002, sec. III-C)",
        {{"vote",
          "Vote",
          FieldSchema::Type::Choice,
          "What the voter outputs when all three replicas differ: their median, or the minimum (hardening paper 002)",
          "median",
          {"median", "min"}},
         layers_field("every conv / linear stage", "classic TMR; hardening paper 002")}};
    return i;
  }

  void read(Reader& r, ProtectionSpec& spec) const override {
    r.get_choice("vote", new_params<TmrParams>(spec).vote, {"median", "min"});
  }

  void write(const ProtectionSpec& spec, nlohmann::json& out) const override {
    out["vote"] = params_of<TmrParams>(spec).vote;
  }

  BlockReach block_reach() const override { return BlockReach::Whole; }

  Network apply(const Network& net, const ProtectionSpec& spec, const ProfileData&,
                nlohmann::json& details) const override {
    std::vector<bool> on = targets(net, spec, false);
    Network out = empty_like(net);
    std::vector<std::string> done;
    for (size_t i = 0; i < net->size(); ++i) {
      const Stage& s = net->stage(i);
      if (!on[i]) {
        copy_stage(out, s);
        continue;
      }
      out->add_stage(s.name, s.kind, torch::nn::Sequential(Replicate(s.module, 3)));
      out->add_stage(s.name + "_vote", "check", torch::nn::Sequential(Vote(params_of<TmrParams>(spec).vote)));
      done.push_back(s.name);
    }
    details["layers"] = done;
    return out;
  }
};

}  // namespace

const Scheme& tmr_scheme() {
  static const TmrScheme scheme;
  return scheme;
}

}  // namespace faultscape
