// train, eval, info and prune: one-off experiments described by command-line options.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "study/experiment_runner.h"
#include "cli/commands.h"
#include "cli/terminal_observer.h"
#include "common/error.h"
#include "runtime/runtime.h"
#include "data/dataset_info.h"
#include "ftt/fault_aware.h"
#include "models/model_io.h"
#include "models/summary.h"
#include "models/zoo.h"
#include "project/config_json.h"
#include "project/project.h"
#include "prune/prune_study.h"
#include "prune/rank_correlation.h"
#include "prune/stuck_ranking.h"
#include "prune/vulnerability.h"
#include "store/project_lock.h"
#include "study/device_placement.h"
#include "store/result_store.h"
#include "cli/signals.h"
#include "common/file_checks.h"
#include "train/evaluate.h"

namespace faultscape::cli {
namespace {

// One-off commands record their runs in the "cli" project's database.
Project cli_project(const GlobalOptions& g) {
  Project p;
  p.name = "cli";
  p.path = "command line";
  p.output_dir = g.output_dir;
  p.threads = g.threads;
  if (!g.device.empty()) p.device = g.device;
  p.deterministic = g.deterministic;
  if (g.seed >= 0) p.seed = static_cast<uint64_t>(g.seed);
  return p;
}

Experiment cli_experiment(const Project& p, nlohmann::json e) {
  if (!e.contains("name")) {
    std::string model = e.contains("model") ? e["model"].value("name", "lenet5") : "lenet5";
    std::string data = e.contains("dataset") ? e["dataset"].value("name", "fashion-mnist") : "fashion-mnist";
    e["name"] = model + "-" + data;
  }
  return parse_experiment(e, "command line", p.seed);
}

}  // namespace

nlohmann::json cmd_train(const GlobalOptions& g, nlohmann::json experiment) {
  Project project = cli_project(g);
  Experiment exp = cli_experiment(project, std::move(experiment));
  ProjectLock lock(project.database_path());
  ResultStore store(project.database_path());
  TerminalObserver observer(g.quiet);
  RunControl control;
  control.observer = &observer;
  control.stop = &signal_stop_token();
  control.retrain = true;  // "train" always trains
  ExperimentOutcome out = run_experiment(project, exp, store, control);
  if (!g.json) {
    std::printf("trained %s: test accuracy %.2f %% after %d epochs (%.1f s, %.0f images/s)\n", exp.name.c_str(),
                out.evaluation.accuracy, exp.training.epochs, out.training.seconds, out.training.images_per_second);
    std::printf("model saved to %s\nresults in %s (runs %lld, %lld)\n", out.model_path.c_str(),
                project.database_path().c_str(), static_cast<long long>(out.train_run),
                static_cast<long long>(out.eval_run));
  }
  nlohmann::json r = out.to_json();
  r["command"] = "train";
  r["experiment"] = exp.name;
  r["accuracy"] = out.evaluation.accuracy;
  r["train_seconds"] = out.training.seconds;
  r["images_per_second"] = out.training.images_per_second;
  r["database"] = project.database_path();
  r["threads"] = torch::get_num_threads();
  return r;
}

nlohmann::json cmd_eval(const GlobalOptions& g, const std::string& model_file, nlohmann::json experiment) {
  Project project = cli_project(g);
  check_input_file(model_file, "model file");
  // The dataset a Faultscape model was trained on, unless the options name another; a TorchScript
  // file is evaluated on the dataset the options name.
  nlohmann::json e = {
      {"name", "eval"}, {"model", {{"name", "torchscript"}, {"file", model_file}}}, {"load", model_file}};
  if (has_architecture_record(model_file)) {
    LoadedModel loaded = load_model(model_file);
    e["model"] = loaded.meta.at("model");
    if (loaded.meta.contains("dataset")) e["dataset"] = loaded.meta["dataset"];
  }
  if (experiment.contains("dataset")) e["dataset"].update(experiment["dataset"]);
  if (experiment.contains("name")) e["name"] = experiment["name"];
  Experiment exp = parse_experiment(e, "command line", project.seed);
  ProjectLock lock(project.database_path());
  ResultStore store(project.database_path());
  TerminalObserver observer(g.quiet);
  RunControl control;
  control.observer = &observer;
  control.stop = &signal_stop_token();
  ExperimentOutcome out = run_experiment(project, exp, store, control);
  if (!g.json) {
    std::printf("%s on %s: accuracy %.2f %% over %lld images, %.3f ms per image\n", model_file.c_str(),
                exp.dataset.name.c_str(), out.evaluation.accuracy, static_cast<long long>(out.evaluation.images),
                out.evaluation.latency_ms_per_image);
    for (size_t c = 0; c < out.evaluation.per_class_accuracy.size(); ++c)
      std::printf("  class %zu: %.2f %%\n", c, out.evaluation.per_class_accuracy[c]);
  }
  nlohmann::json r = out.evaluation.to_json();
  r["command"] = "eval";
  r["model_path"] = model_file;
  r["eval_run"] = out.eval_run;
  r["database"] = project.database_path();
  return r;
}

namespace {

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::stringstream in(text);
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// Eq. 1 against single-channel stuck-at (worst drop over the stage's stuck values), per layer and
// over all channels together.
nlohmann::json correlate_vulnerability(Network& net, const DatasetSplit& data, const std::vector<std::string>& layers,
                                       int64_t images, bool quiet) {
  std::vector<ChannelScores> v = channel_vulnerability(net, data.train, images, 250, layers);
  std::vector<int> stages;
  for (const auto& s : v) stages.push_back(s.stage);
  nlohmann::json out = {{"layers", nlohmann::json::array()}};
  std::vector<double> all_v, all_m;
  if (!quiet) std::printf("%-10s %9s %9s\n", "layer", "channels", "spearman");
  for (size_t i = 0; i < v.size(); ++i) {
    std::vector<double> values;
    try {
      values = auto_stuck_values(net, v[i].stage);
    } catch (const ConfigError&) {
      values = {0.0};  // float activations: stuck at 0
    }
    ChannelScores m = measured_stuck_drop(net, data.test, {v[i].stage}, values, images).front();
    double rho = spearman(v[i].score, m.score);
    all_v.insert(all_v.end(), v[i].score.begin(), v[i].score.end());
    all_m.insert(all_m.end(), m.score.begin(), m.score.end());
    out["layers"].push_back({{"layer", v[i].name},
                             {"spearman", rho},
                             {"vulnerability", v[i].score},
                             {"stuck_drop", m.score},
                             {"stuck_values", values}});
    if (!quiet) std::printf("%-10s %9zu %9.3f\n", v[i].name.c_str(), v[i].score.size(), rho);
  }
  out["spearman_all"] = spearman(all_v, all_m);
  if (!quiet) std::printf("all channels: spearman %.3f\n", out["spearman_all"].get<double>());
  return out;
}

void print_cost(const char* label, const NetworkCost& c) {
  std::printf("%-12s %10lld %12lld %9.2f %10.4f\n", label, static_cast<long long>(c.params),
              static_cast<long long>(c.macs), c.accuracy, c.latency_ms);
}

}  // namespace

nlohmann::json cmd_prune(const GlobalOptions& g, const std::string& model_file, nlohmann::json experiment,
                         const PruneOptions& o) {
  check_input_file(model_file, "model file");
  LoadedModel loaded = load_model(model_file);
  DatasetConfig dc;
  if (loaded.meta.contains("dataset")) dc = parse_dataset_config(loaded.meta["dataset"], model_file + ":dataset");
  if (experiment.contains("dataset")) dc = parse_dataset_config(experiment["dataset"], "command line", dc);
  // The pruned model must not replace its own input, a dataset file or a results database.
  std::vector<ProtectedFile> inputs = {{model_file, "the model file being pruned"},
                                       {cli_project(g).database_path(), "the results database"}};
  std::error_code ec;
  if (!dc.path.empty() && std::filesystem::is_directory(dc.path, ec))
    for (const auto& entry : std::filesystem::directory_iterator(dc.path, ec))
      inputs.push_back({entry.path().string(), "a dataset file"});
  check_output_path(o.save, "--save", inputs);
  TerminalObserver observer(g.quiet);
  const c10::Device device = choose_device(cli_project(g), &observer);
  DatasetSplit data = load_dataset(dc);
  place_dataset(data, device, &observer);
  Network net = loaded.net;
  net->to(device);
  nlohmann::json r = {{"command", "prune"}, {"model_path", model_file}};
  std::vector<std::string> layers = split_names(o.layers);
  if (o.correlate) r["correlation"] = correlate_vulnerability(net, data, layers, o.stuck_images, g.json);
  PruneConfig pc;
  pc.criterion = o.criterion;
  pc.ratio = o.ratio;
  pc.linear_ratio = o.linear_ratio;
  pc.layers = layers;
  pc.fine_tune.epochs = o.epochs;
  pc.fine_tune.lr = o.lr;
  pc.fine_tune.seed = g.seed >= 0 ? static_cast<uint64_t>(g.seed) : 1;
  TrainContext ctx;
  ctx.observer = &observer;
  ctx.stop = &signal_stop_token();
  PruneReport report = prune_and_fine_tune(net, data, pc, ctx);
  if (!g.json) {
    std::printf("%s pruning, ratio %.2f (linear layers %.2f): %lld channels removed\n", o.criterion.c_str(), o.ratio,
                pc.ratio_for(true), static_cast<long long>(report.removed_channels));
    std::printf("%-12s %10s %12s %9s %10s\n", "", "params", "MACs", "acc %", "ms/image");
    print_cost("before", report.before);
    print_cost("pruned", report.pruned);
    print_cost("fine-tuned", report.fine_tuned);
  }
  r["report"] = report.to_json();
  if (!o.save.empty()) {
    nlohmann::json meta = loaded.meta;
    meta["pruned"] = {{"from", model_file},
                      {"criterion", o.criterion},
                      {"ratio", o.ratio},
                      {"linear_ratio", pc.ratio_for(true)},
                      {"report", r["report"]}};
    save_model(net, o.save, meta);
    r["saved"] = o.save;
    if (!g.json) std::printf("pruned, fine-tuned model saved to %s\n", o.save.c_str());
  }
  return r;
}

nlohmann::json cmd_info(const GlobalOptions& g, const std::string& model_file, nlohmann::json experiment) {
  Network net{nullptr};
  Project project = cli_project(g);
  Experiment exp = cli_experiment(project, std::move(experiment));
  DatasetShape shape = dataset_shape(exp.dataset);
  if (!model_file.empty()) {
    check_input_file(model_file, "model file");
    net = load_network(model_file, shape.image_shape, shape.num_classes);
  } else {
    seed_everything(exp.training.seed);
    net = build_network(exp.model, shape.image_shape, shape.num_classes);
  }
  ModelSummary summary = summarize(net);
  if (!g.json) std::printf("%s", summary.to_table().c_str());
  nlohmann::json r = summary.to_json();
  r["command"] = "info";
  r["model"] = net->config().name;
  return r;
}

}  // namespace faultscape::cli
