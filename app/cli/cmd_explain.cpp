// explain: ExplainSession (core/explain) -> CSV + JSON here; figures through the widgets when the
// build has them (write_explain_figures).
#include "cli/cmd_explain.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cmd_plot.h"
#include "common/error.h"
#include "common/json_parse.h"
#include "explain/explain_data.h"
#include "explain/explain_session.h"
#include "project/project.h"
#include "runtime/runtime.h"

namespace faultscape::cli {
namespace {

// A JSON option: the text itself, or @FILE.
nlohmann::json json_option(const std::string& text, const std::string& option) {
  std::string body = text;
  if (!text.empty() && text[0] == '@') {
    std::ifstream in(text.substr(1), std::ios::binary);
    if (!in) throw ConfigError(option + ": cannot read " + text.substr(1));
    std::stringstream s;
    s << in.rdbuf();
    body = s.str();
  }
  try {
    return parse_json(body);
  } catch (const JsonError& e) {
    throw ConfigError(option + ": invalid JSON at " + json_position(body, e.byte) + ": " + e.what());
  }
}

}  // namespace

CLI::App* add_explain_command(CLI::App& app, ExplainOptions& o) {
  CLI::App* c = app.add_subcommand(
      "explain", "what one fault does to one test image, stage by stage: figures (PDF + PNG) with CSV and JSON");
  c->add_option("project", o.project_file, "project JSON file")->required();
  c->add_option("-e,--experiment", o.experiment, "experiment name (default: the first)");
  c->add_option("--image", o.image, "test image index")->required();
  c->add_option("--fault", o.fault,
                "the fault as JSON (or @FILE): {\"target\":\"weights\",\"layer\":\"conv0\",\"index\":3,\"bit\":30}, "
                "{\"target\":\"activations\",\"layer\":\"conv1\",\"channel\":2,\"value\":0}, "
                "{\"replay\":{\"run\":R,\"trial\":N}}")
      ->required();
  c->add_option("--protection", o.protection,
                "protection schemes as a JSON array (default: the experiment's; [] = none)");
  c->add_option("--out", o.out_dir, "directory for the figures and data");
  c->add_option("--stage", o.stage, "feature maps of this stage (default: the first faulty stage)");
  c->add_option("--channel", o.channel, "channel of those feature maps (default: the one changed most)");
  c->add_flag("--presentation", o.presentation, "larger fonts and thicker lines (projectors)");
  c->add_option("--width", o.width, "figure width in pixels at 96 DPI (PDF: points)")->check(CLI::Range(200, 8000));
  c->add_option("--height", o.height, "figure height")->check(CLI::Range(150, 8000));
  c->add_option("--dpi", o.dpi, "PNG resolution")->check(CLI::Range(72, 1200));
  return c;
}

nlohmann::json cmd_explain(const GlobalOptions& g, const ExplainOptions& o) {
  Project project = load_project(o.project_file);
  if (g.threads > 0) project.threads = g.threads;  // as `run` does: --threads over the project's
  set_threads(project.threads);
  if (project.experiments.empty()) throw ConfigError(o.project_file + ": no experiments");
  const std::string name = o.experiment.empty() ? project.experiments.front().name : o.experiment;
  const nlohmann::json fault_json = json_option(o.fault, "--fault");
  ExplainFault fault = parse_explain_fault(fault_json, "--fault");
  nlohmann::json protection = nullptr;
  if (!o.protection.empty()) {
    protection = json_option(o.protection, "--protection");
    if (!protection.is_array())
      throw ConfigError("--protection: expected a JSON array of schemes, e.g. [{\"scheme\":\"tmr\"}]");
  }

  ExplainOptions figure_options = o;
  figure_options.presentation = o.presentation || project.presentation;
  ExplainSession session(project, name);
  if (!protection.is_null()) session.set_protection(protection);
  if (o.image < 0 || o.image >= session.test().size())
    throw ConfigError("--image: " + std::to_string(o.image) + " is outside the test set (0-" +
                      std::to_string(session.test().size() - 1) + ")");
  fault = session.resolve(fault);
  Explainer explainer = session.explainer({o.image});
  const Explanation ex = explainer.explain(fault);

  int stage = ex.first_stage;
  if (!o.stage.empty()) {
    stage = session.network()->stage_index(o.stage);
    if (stage < 0) throw ConfigError("--stage: no stage \"" + o.stage + "\" in this model");
  }
  const int64_t channel = o.channel >= 0 ? o.channel : worst_channel(ex, stage);

  std::filesystem::create_directories(o.out_dir);
  const std::filesystem::path dir(o.out_dir);
  nlohmann::json summary = ex.to_json();
  summary["image"] = o.image;
  summary["label"] = session.test().labels[o.image].item<int64_t>();
  summary["experiment"] = name;
  summary["protection"] = session.protection();
  summary["feature_maps"] = {{"stage", ex.stages[stage].stage}, {"channel", channel}};

  nlohmann::json files = nlohmann::json::array();
  auto write = [&](const std::string& file, const std::string& text) {
    const std::string path = (dir / file).string();
    write_text(path, text);
    files.push_back(path);
  };
  // The CSVs first (checked here, with the figures' columns); figures overwrite them with their own.
  const std::string feature_csv = feature_map_csv(ex, stage, channel);
  write("propagation.csv", propagation_csv(ex));
  write("probabilities.csv", probabilities_csv(ex, session.test().class_names));
  write("feature_maps.csv", feature_csv);
  write("explanation.json", summary.dump(2) + "\n");

  nlohmann::json probs = {{"classes", session.test().class_names},
                          {"golden", nlohmann::json::array()},
                          {"faulty", nlohmann::json::array()}};
  for (int64_t c = 0; c < ex.golden_probs.size(1); ++c) {
    probs["golden"].push_back(ex.golden_probs[0][c].item<double>());
    probs["faulty"].push_back(ex.faulty_probs[0][c].item<double>());
  }
  const std::vector<std::string> figures =
      write_explain_figures(summary, feature_maps_json(ex, stage), channel, probs, figure_options);
  for (const auto& f : figures)
    if (std::find(files.begin(), files.end(), f) == files.end()) files.push_back(f);
  if (!g.json) {
    std::printf("image %lld (label %lld): golden prediction %lld, faulty prediction %lld\n", o.image,
                summary["label"].get<long long>(), summary["golden_prediction"].get<long long>(),
                summary["faulty_prediction"].get<long long>());
    if (!figures_available())
      std::printf("figures: none (this faultscape-cli was built headless); CSV and JSON written\n");
    for (const auto& f : files) std::printf("%s\n", f.get<std::string>().c_str());
  }
  summary["command"] = "explain";
  summary["files"] = files;
  summary["figures"] = figures_available();
  return summary;
}

}  // namespace faultscape::cli
