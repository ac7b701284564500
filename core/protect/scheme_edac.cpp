// edac: the most vulnerable output channels of each selected layer duplicated (or triplicated)
// inside the layer, and a "<name>_edac" stage that compares the copies and checks the other
// channels against profiled intervals (hardening paper 002, channel duplication + EDAC layer).
#include <torch/torch.h>

#include <cmath>

#include "models/module_copy.h"
#include "protect/profile.h"
#include "protect/redundancy.h"
#include "protect/scheme.h"
#include "protect/stage_tools.h"

namespace faultscape {
namespace {

const char* const kPaper = "hardening paper 002, channel duplication + EDAC layer";

struct EdacParams : SchemeParams {
  double ratio = 1.0;     // fraction of channels duplicated per layer (last layer: all)
  int copies = 2;         // 2 = duplication + EDAC, 3 = triplication + voter
  bool intervals = true;  // zero non-duplicated values outside their interval
  double percentile = 100;
};

class EdacScheme : public Scheme {
 public:
  const SchemeInfo& info() const override {
    static const SchemeInfo i{
        "edac",
        "EDAC (channel duplication)",
        std::string("Duplicates the most vulnerable output channels and checks them in an EDAC layer with profiled "
                    "intervals (") +
            kPaper + ")",
        {{"ratio", "Duplicated share", FieldSchema::Type::Real,
          std::string("Fraction in [0, 1] of each layer's channels duplicated, most vulnerable first; the last layer "
                      "is always duplicated entirely (") +
              kPaper + ")",
          1.0},
         {"copies",
          "Copies",
          FieldSchema::Type::Choice,
          std::string("2: duplication with the EDAC layer; 3: triplication with a voter (") + kPaper + ", Fig. 3)",
          2,
          {"2", "3"}},
         {"intervals", "Interval check", FieldSchema::Type::Bool,
          std::string("Zero non-duplicated values outside their channel's profiled interval; off = plain duplication "
                      "(") +
              kPaper + ")",
          true},
         percentile_field(kPaper),
         profile_images_field("Profile images",
                              std::string("Training images run to profile the bounds (") + kPaper + ")"),
         layers_field("every conv / linear stage", kPaper)}};
    return i;
  }

  void read(Reader& r, ProtectionSpec& spec) const override {
    EdacParams& p = new_params<EdacParams>(spec);
    r.get_number(
        "ratio", p.ratio, [](double v) { return v >= 0 && v <= 1; }, "a fraction in [0, 1]");
    r.get_int("copies", p.copies, 2, 3);
    r.get("intervals", p.intervals);
    read_percentile(r, p.percentile);
    r.get_int("profile_images", spec.profile_images, 1);
  }

  void write(const ProtectionSpec& spec, nlohmann::json& out) const override {
    const auto& p = params_of<EdacParams>(spec);
    out.update({{"ratio", p.ratio},
                {"copies", p.copies},
                {"intervals", p.intervals},
                {"percentile", p.percentile},
                {"profile_images", spec.profile_images}});
  }

  Network apply(const Network& net, const ProtectionSpec& spec, const ProfileData& data,
                nlohmann::json& details) const override {
    const auto& p = params_of<EdacParams>(spec);
    std::vector<bool> on = targets(net, spec, false);
    torch::Tensor profile = first_images(data.images, spec.profile_images, spec);
    Network src = net;
    Network out = empty_like(net);
    nlohmann::json layers = nlohmann::json::array();
    for (size_t i = 0; i < net->size(); ++i) {
      const Stage& s = net->stage(i);
      if (!on[i]) {
        copy_stage(out, s);
        continue;
      }
      leading_layer(s, spec);
      auto [lo, hi] = percentile_bounds(profile_stage_outputs(src, static_cast<int>(i), profile), true, p.percentile);
      const int64_t channels = lo.size(0);
      // The last layer is duplicated entirely (the paper: no immediate misclassification).
      const bool last = i + 1 == net->size();
      const int64_t d =
          last ? channels : std::min<int64_t>(channels, static_cast<int64_t>(std::ceil(p.ratio * channels - 1e-9)));
      torch::Tensor dup = torch::empty({0}, torch::kLong);
      if (d > 0) {
        torch::Tensor v =
            d < channels ? channel_vulnerability(src, static_cast<int>(i), profile) : torch::zeros({channels});
        dup = std::get<0>(std::get<1>(v.topk(d)).sort());
      }
      out->add_stage(s.name, s.kind, expand_stage(s, dup, p.copies, spec));
      out->add_stage(s.name + "_edac", "check", torch::nn::Sequential(Edac(dup, lo, hi, p.copies, p.intervals)));
      layers.push_back({{"layer", s.name}, {"channels", channels}, {"duplicated", d}});
    }
    details["layers"] = layers;
    return out;
  }
};

}  // namespace

const Scheme& edac_scheme() {
  static const EdacScheme scheme;
  return scheme;
}

}  // namespace faultscape
