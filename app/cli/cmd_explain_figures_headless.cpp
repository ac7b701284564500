// explain in a headless build (FAULTSCAPE_GUI=OFF): no widgets to draw with, so no figures; the
// command writes the same CSV and JSON and says that the figures are missing.
#include "cli/cmd_explain.h"

namespace faultscape::cli {

std::vector<std::string> write_explain_figures(const nlohmann::json&, const nlohmann::json&, long long,
                                               const nlohmann::json&, const ExplainOptions&) {
  return {};
}

}  // namespace faultscape::cli
