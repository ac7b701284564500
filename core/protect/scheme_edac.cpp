// edac: the most vulnerable output channels of each selected layer duplicated (or triplicated)
// inside the layer, and an EDAC layer that compares the copies and checks the other channels
// against profiled intervals (hardening paper 002, channel duplication + EDAC layer): right after
// the conv / linear layer, before batch norm and activation (placement "layer", the paper's Fig. 2),
// or as a "<name>_edac" stage after the stage's activation (placement "activation").
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
  std::string placement = "layer";  // layer | activation
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
         {"placement",
          "Placement",
          FieldSchema::Type::Choice,
          std::string("layer: the EDAC layer checks each conv / linear layer's output, before batch norm and "
                      "activation (") +
              kPaper + ", Fig. 2); activation: it checks the stage's output after its activation",
          "layer",
          {"layer", "activation"}},
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
    r.get_choice("placement", p.placement, {"layer", "activation"});
    read_percentile(r, p.percentile);
    r.get_int("profile_images", spec.profile_images, 1);
  }

  void write(const ProtectionSpec& spec, nlohmann::json& out) const override {
    const auto& p = params_of<EdacParams>(spec);
    out.update({{"ratio", p.ratio},
                {"copies", p.copies},
                {"intervals", p.intervals},
                {"placement", p.placement},
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
      const bool at_layer = p.placement == "layer";
      // What the EDAC layer checks: the layer alone (the paper), or the whole stage.
      Stage checked = s;
      if (at_layer) {
        checked.module = torch::nn::Sequential();
        checked.module->push_back(s.module->begin()[0]);
      }
      // The layer's inputs as the protected network computes them (the widened layers before it may
      // round differently from the original ones), so clean profiled values lie inside the intervals.
      const torch::Tensor inputs =
          out->size() == 0 ? profile : profile_stage_outputs(out, static_cast<int>(out->size()) - 1, profile);
      auto [lo, hi] = percentile_bounds(profile_module(checked.module, inputs), true, p.percentile);
      const int64_t channels = lo.size(0);
      // The last layer is duplicated entirely (the paper: no immediate misclassification).
      const int64_t d = is_logits(net, i)
                            ? channels
                            : std::min<int64_t>(channels, static_cast<int64_t>(std::ceil(p.ratio * channels - 1e-9)));
      torch::Tensor dup = torch::empty({0}, lo.options().dtype(torch::kLong));
      if (d > 0) {
        // Inside a residual block: the effect on the logits of the network the block is part of.
        Network whole = data.whole ? data.whole : src;
        const torch::Tensor whole_images =
            data.whole ? first_images(data.whole_images, spec.profile_images, spec) : profile;
        torch::Tensor v =
            d < channels ? channel_vulnerability(whole, s, whole_images) : torch::zeros({channels}, lo.options());
        dup = std::get<0>(std::get<1>(v.topk(d)).sort());
      }
      torch::nn::Sequential wide = expand_stage(checked, dup, p.copies, spec);
      // The widened layer may round the original channels and their copies differently from the
      // original layer (and from each other): every clean copy of the profiled data must lie inside
      // its channel's interval and agree with the other copies in the vote.
      auto [wlo, whi] = percentile_bounds(profile_module(wide, inputs), true, p.percentile);
      lo = torch::minimum(lo, wlo.narrow(0, 0, channels));
      hi = torch::maximum(hi, whi.narrow(0, 0, channels));
      for (int k = 1; k < p.copies; ++k) {
        lo = lo.index_copy(0, dup, torch::minimum(lo.index_select(0, dup), wlo.narrow(0, channels + (k - 1) * d, d)));
        hi = hi.index_copy(0, dup, torch::maximum(hi.index_select(0, dup), whi.narrow(0, channels + (k - 1) * d, d)));
      }
      // Each interval also holds its channel's rounding bound on either side: a clean value computed in
      // another order, or from inputs that earlier widened layers (in a residual block, or a block
      // protected before the stages around it) rounded differently, is not an error.
      const torch::Tensor rounding = rounding_tolerance(checked.module, inputs);
      lo = lo - rounding;
      hi = hi + rounding;
      Edac edac(dup, lo, hi, p.copies, p.intervals, p.copies == 3 ? rounding : torch::Tensor());
      if (at_layer) {
        torch::nn::Sequential seq;
        seq->push_back(wide->begin()[0]);
        seq->push_back(edac);
        for (size_t m = 1; m < s.module->size(); ++m) seq->push_back(copy_any(s.module->begin()[m]));
        seq->eval();
        out->add_stage(s.name, s.kind, seq);
      } else {
        out->add_stage(s.name, s.kind, wide);
        out->add_stage(s.name + "_edac", "check", torch::nn::Sequential(edac));
      }
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
