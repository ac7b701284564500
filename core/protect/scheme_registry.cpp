// The one place protection schemes are registered: a new scheme is a new scheme_<name>.cpp plus
// its line in each list below.
#include "protect/scheme.h"

namespace faultscape {

const Scheme& tmr_scheme();
const Scheme& replicate_scheme();
const Scheme& edac_scheme();
const Scheme& abft_scheme();
const Scheme& ranger_scheme();
const Scheme& clipact_scheme();
const Scheme& saturate_scheme();
const Scheme& scale_scheme();
const Scheme& qbound_scheme();
const Scheme& bypass_scheme();

namespace {

// Menu order of the workbench.
const std::vector<const Scheme*>& registry() {
  static const std::vector<const Scheme*> schemes = {
      &tmr_scheme(),     &replicate_scheme(), &edac_scheme(),  &abft_scheme(),   &ranger_scheme(),
      &clipact_scheme(), &saturate_scheme(),  &scale_scheme(), &qbound_scheme(), &bypass_scheme(),
  };
  return schemes;
}

}  // namespace

const Scheme* find_scheme(const std::string& name) {
  for (const Scheme* s : registry())
    if (s->info().name == name) return s;
  return nullptr;
}

std::vector<std::string> protection_schemes() {
  std::vector<std::string> names;
  for (const Scheme* s : registry()) names.push_back(s->info().name);
  return names;
}

const std::vector<SchemeInfo>& protection_scheme_infos() {
  static const std::vector<SchemeInfo> infos = [] {
    std::vector<SchemeInfo> all;
    for (const Scheme* s : registry()) all.push_back(s->info());
    return all;
  }();
  return infos;
}

FieldSchema layers_field(const std::string& all, const std::string& paper) {
  return {"layers",
          "Layers",
          FieldSchema::Type::List,
          "Stage names this scheme protects; empty = " + all + " (" + paper + ")",
          nlohmann::json::array(),
          {},
          0,
          2147483647,
          all};
}

FieldSchema percentile_field(const std::string& paper) {
  return {"percentile", "Percentile", FieldSchema::Type::Real,
          "Bounds at this percentile of the profiled training activations, 50-100 (100 = min / max; " + paper + ")",
          100.0};
}

FieldSchema profile_images_field(const std::string& label, const std::string& tooltip) {
  return {"profile_images", label, FieldSchema::Type::Int, tooltip, 2000, {}, 1};
}

void read_percentile(Reader& r, double& out) {
  r.get_number(
      "percentile", out, [](double v) { return v >= 50 && v <= 100; }, "a number in [50, 100]");
}

}  // namespace faultscape
