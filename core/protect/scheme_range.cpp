// ranger / clipact: a "<name>_range" stage after each selected layer's output (after its checker,
// if any) that restricts values to bounds profiled on training data: clamped to them (Chen et al.,
// Ranger) or set to 0 outside them (Hoang et al., FT-ClipAct).
#include <torch/torch.h>

#include "models/module_copy.h"
#include "protect/profile.h"
#include "protect/range_restrict.h"
#include "protect/scheme.h"
#include "protect/stage_tools.h"

namespace faultscape {
namespace {

struct RangeParams : SchemeParams {
  std::string granularity = "layer";  // layer | channel
  double percentile = 100;
};

class RangeScheme : public Scheme {
 public:
  // mode: "clamp" (Ranger) or "zero" (FT-ClipAct).
  RangeScheme(SchemeInfo info, std::string mode) : info_(std::move(info)), mode_(std::move(mode)) {}

  const SchemeInfo& info() const override { return info_; }

  void read(Reader& r, ProtectionSpec& spec) const override {
    RangeParams& p = new_params<RangeParams>(spec);
    r.get_choice("granularity", p.granularity, {"layer", "channel"});
    read_percentile(r, p.percentile);
    r.get_int("profile_images", spec.profile_images, 1);
  }

  void write(const ProtectionSpec& spec, nlohmann::json& out) const override {
    const auto& p = params_of<RangeParams>(spec);
    out.update({{"granularity", p.granularity}, {"percentile", p.percentile}, {"profile_images", spec.profile_images}});
  }

  Network apply(const Network& net, const ProtectionSpec& spec, const ProfileData& data,
                nlohmann::json& details) const override {
    const auto& p = params_of<RangeParams>(spec);
    std::vector<bool> on = targets(net, spec, true);
    torch::Tensor profile = first_images(data.images, spec.profile_images, spec);
    Network src = net;
    Network out = empty_like(net);
    nlohmann::json layers = nlohmann::json::array();
    for (size_t i = 0; i < net->size(); ++i) {
      const Stage& s = net->stage(i);
      copy_stage(out, s);
      if (!on[i]) continue;
      const size_t end = group_end(net, i);
      for (size_t k = i + 1; k <= end; ++k) copy_stage(out, net->stage(k));
      auto [lo, hi] = percentile_bounds(profile_stage_outputs(src, static_cast<int>(end), profile),
                                        p.granularity == "channel", p.percentile);
      out->add_stage(s.name + "_range", "check", torch::nn::Sequential(RangeRestrict(lo, hi, mode_)));
      lo = lo.cpu(), hi = hi.cpu();
      layers.push_back({{"layer", s.name},
                        {"lower", std::vector<float>(lo.data_ptr<float>(), lo.data_ptr<float>() + lo.numel())},
                        {"upper", std::vector<float>(hi.data_ptr<float>(), hi.data_ptr<float>() + hi.numel())}});
      i = end;
    }
    details["layers"] = layers;
    return out;
  }

 private:
  SchemeInfo info_;
  std::string mode_;
};

SchemeInfo range_info(const std::string& name, const std::string& title, const std::string& summary,
                      const std::string& paper) {
  return {name,
          title,
          summary + " (" + paper + ")",
          {{"granularity",
            "Granularity",
            FieldSchema::Type::Choice,
            "One bound pair per layer, or one per channel (" + paper + ")",
            "layer",
            {"layer", "channel"}},
           percentile_field(paper),
           profile_images_field("Profile images", "Training images run to profile the bounds (" + paper + ")"),
           layers_field("every conv / linear stage but the logits", paper)}};
}

}  // namespace

const Scheme& ranger_scheme() {
  static const RangeScheme scheme(
      range_info("ranger", "Ranger (clamp to bounds)", "Clamps each layer's output to bounds profiled on training data",
                 "Chen et al., Ranger"),
      "clamp");
  return scheme;
}

const Scheme& clipact_scheme() {
  static const RangeScheme scheme(
      range_info("clipact", "FT-ClipAct (clip to zero)", "Like Ranger, but values outside the profiled bounds become 0",
                 "Hoang et al., FT-ClipAct"),
      "zero");
  return scheme;
}

}  // namespace faultscape
