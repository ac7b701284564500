// saturate / scale: the weights of each selected layer stored encoded and decoded when read, so a
// corrupted stored value does less harm: s*tanh(v) or s*2/pi*atan(v) (saturating-function
// abstract, paper 003), or v / k (weight-scaling abstract, paper 003). `saturate` on a layer that
// saturating-weight training wrapped reuses that training's scale s (Network::trained_encodings).
#include "common/error.h"
#include "models/stored_weight.h"
#include "protect/layer_wrap.h"
#include "protect/scheme.h"

namespace faultscape {
namespace {

struct StoredWeightParams : SchemeParams {
  std::string function;  // tanh | atan (saturate), or "scale"
  double factor = 0;     // saturate: s = factor * max|w|; scale: k
};

class StoredWeightScheme : public Scheme {
 public:
  explicit StoredWeightScheme(bool saturate) : saturate_(saturate) {}

  const SchemeInfo& info() const override {
    static const SchemeInfo saturate{
        "saturate",
        "Saturating weights",
        "Weights are stored as v and read as s*tanh(v) (or s*2/pi*atan(v)), so a corrupted stored value stays within "
        "[-s, s] (saturating-function abstract, paper 003)",
        {{"function",
          "Function",
          FieldSchema::Type::Choice,
          "The saturating function applied when a stored weight is read (paper 003)",
          "tanh",
          {"tanh", "atan"}},
         {"factor", "Factor", FieldSchema::Type::Real,
          "s = factor * max|w|, a number > 1: headroom of the saturation (paper 003)", 1.5},
         layers_field("every conv / linear stage", "paper 003")}};
    static const SchemeInfo scale{
        "scale",
        "Scaled weights",
        "Weights are stored multiplied by a constant and divided after reading, shrinking the effect of a flipped bit "
        "(weight-scaling abstract, paper 003)",
        {{"factor", "Factor", FieldSchema::Type::Real,
          "The constant k > 0 the stored weights are multiplied by (paper 003)", 64.0},
         layers_field("every conv / linear stage", "paper 003")}};
    return saturate_ ? saturate : scale;
  }

  void read(Reader& r, ProtectionSpec& spec) const override {
    StoredWeightParams& p = new_params<StoredWeightParams>(spec);
    if (saturate_) {
      p.function = "tanh";
      p.factor = 1.5;
      r.get_choice("function", p.function, {"tanh", "atan"});
      r.get_number(
          "factor", p.factor, [](double v) { return v > 1; }, "a number > 1 (s = factor * max|w|)");
    } else {
      p.function = "scale";
      p.factor = 64;
      r.get_number(
          "factor", p.factor, [](double v) { return v > 0; }, "a number > 0");
    }
  }

  void write(const ProtectionSpec& spec, nlohmann::json& out) const override {
    const auto& p = params_of<StoredWeightParams>(spec);
    if (saturate_) out["function"] = p.function;
    out["factor"] = p.factor;
  }

  Network apply(const Network& net, const ProtectionSpec& spec, const ProfileData&,
                nlohmann::json& details) const override {
    const auto& p = params_of<StoredWeightParams>(spec);
    // A layer trained with saturating weights is stored with the scale it was trained under (the
    // weights learned to live inside (-s, s) for that s), not factor * max|w| of the result.
    nlohmann::json trained = nlohmann::json::object();
    Network out = wrap_layers(net, spec, details, [&](auto layer, const std::string& stage) {
      const auto it = net->trained_encodings().find(stage);
      if (!saturate_ || it == net->trained_encodings().end()) return StoredWeight(layer, p.function, p.factor);
      if (it->second.function != p.function)
        throw ConfigError(spec.path + ".function: stage \"" + stage + "\" was trained with " + it->second.function +
                          " saturating weights; the scheme must store it with the same function, got " + p.function);
      trained[stage] = it->second.scale;
      return StoredWeight(layer, p.function, p.factor, it->second.scale);
    });
    if (!trained.empty()) details["trained_scale"] = trained;
    return out;
  }

 private:
  bool saturate_;
};

}  // namespace

const Scheme& saturate_scheme() {
  static const StoredWeightScheme scheme(true);
  return scheme;
}

const Scheme& scale_scheme() {
  static const StoredWeightScheme scheme(false);
  return scheme;
}

}  // namespace faultscape
