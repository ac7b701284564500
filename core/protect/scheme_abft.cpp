// abft: each selected layer wrapped with output checksums that locate and correct a single faulty
// output (Huang & Abraham, algorithm-based fault tolerance).
#include "protect/abft.h"
#include "protect/layer_wrap.h"
#include "protect/scheme.h"

namespace faultscape {
namespace {

struct AbftParams : SchemeParams {
  double tolerance = 1e-4;  // relative checksum tolerance
};

class AbftScheme : public Scheme {
 public:
  const SchemeInfo& info() const override {
    static const SchemeInfo i{
        "abft",
        "ABFT (checksums)",
        "Algorithm-based fault tolerance: checksum rows computed with each layer locate and correct a single faulty "
        "output (Huang & Abraham)",
        {{"tolerance", "Tolerance", FieldSchema::Type::Real,
          "Relative tolerance (> 0) of the checksum comparison before a syndrome counts as a fault (Huang & Abraham "
          "ABFT)",
          1e-4},
         layers_field("every conv / linear stage", "Huang & Abraham ABFT")}};
    return i;
  }

  void read(Reader& r, ProtectionSpec& spec) const override {
    r.get_number(
        "tolerance", new_params<AbftParams>(spec).tolerance, [](double v) { return v > 0; }, "a number > 0");
  }

  void write(const ProtectionSpec& spec, nlohmann::json& out) const override {
    out["tolerance"] = params_of<AbftParams>(spec).tolerance;
  }

  Network apply(const Network& net, const ProtectionSpec& spec, const ProfileData&,
                nlohmann::json& details) const override {
    const double tolerance = params_of<AbftParams>(spec).tolerance;
    return wrap_layers(net, spec, details, [&](auto layer, const std::string&) { return Abft(layer, tolerance); });
  }
};

}  // namespace

const Scheme& abft_scheme() {
  static const AbftScheme scheme;
  return scheme;
}

}  // namespace faultscape
