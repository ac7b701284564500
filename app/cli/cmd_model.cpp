// train, eval and info: one-off experiments described by command-line options.
#include <torch/torch.h>

#include <cstdio>

#include "campaign/experiment_runner.h"
#include "cli/commands.h"
#include "cli/terminal_observer.h"
#include "common/runtime.h"
#include "data/dataset_info.h"
#include "models/model_io.h"
#include "models/summary.h"
#include "models/zoo.h"
#include "project/project.h"
#include "store/result_store.h"
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
  ResultStore store(project.database_path());
  TerminalObserver observer(g.quiet);
  RunControl control;
  control.observer = &observer;
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
  LoadedModel loaded = load_model(model_file);
  // The dataset the model was trained on, unless the options name another.
  nlohmann::json e = {{"name", "eval"}, {"model", loaded.meta.at("model")}, {"load", model_file}};
  if (loaded.meta.contains("dataset")) e["dataset"] = loaded.meta["dataset"];
  if (experiment.contains("dataset")) e["dataset"].update(experiment["dataset"]);
  if (experiment.contains("name")) e["name"] = experiment["name"];
  Experiment exp = parse_experiment(e, "command line", project.seed);
  ResultStore store(project.database_path());
  TerminalObserver observer(g.quiet);
  RunControl control;
  control.observer = &observer;
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

nlohmann::json cmd_info(const GlobalOptions& g, const std::string& model_file, nlohmann::json experiment) {
  Network net{nullptr};
  if (!model_file.empty()) {
    net = load_model(model_file).net;
  } else {
    Project project = cli_project(g);
    Experiment exp = cli_experiment(project, std::move(experiment));
    DatasetShape shape = dataset_shape(exp.dataset);
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
