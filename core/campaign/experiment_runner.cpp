#include "campaign/experiment_runner.h"

#include <torch/torch.h>

#include <filesystem>

#include "common/error.h"
#include "models/model_io.h"
#include "models/zoo.h"

namespace faultscape {
namespace {

RunInfo run_info(const Project& project, const Experiment& experiment, const std::string& kind) {
  RunInfo info;
  info.project = project.name;
  info.experiment = experiment.name;
  info.kind = kind;
  info.config = to_json(experiment);
  info.config["threads"] = torch::get_num_threads();
  info.seed = experiment.training.seed;
  return info;
}

void check_model_fits(const Network& net, const Dataset& data, const std::string& where) {
  std::vector<int64_t> shape = data.image_shape();
  if (net->input_shape() != shape || net->num_classes() != data.num_classes)
    throw ModelError(where + ": the model was built for another input shape or class count than dataset \"" +
                     data.name + "\"");
}

}  // namespace

std::string default_model_path(const Project& project, const Experiment& experiment) {
  return (std::filesystem::path(project.output_dir) / project.name / (experiment.name + ".pt")).string();
}

Network prepare_network(const Project& project, const Experiment& experiment, const DatasetSplit& data,
                        ResultStore& store, ExperimentOutcome& outcome, Observer* observer, const StopToken* stop) {
  if (!experiment.load.empty()) {
    LoadedModel loaded = load_model(experiment.load);
    check_model_fits(loaded.net, data.test, experiment.load);
    outcome.model_path = experiment.load;
    return loaded.net;
  }
  seed_everything(experiment.training.seed);
  Network net = build_network(experiment.model, data.train.image_shape(), data.train.num_classes);
  outcome.model_path =
      experiment.training.checkpoint.empty() ? default_model_path(project, experiment) : experiment.training.checkpoint;
  outcome.train_run = store.begin_run(run_info(project, experiment, "train"));
  // Per-epoch metrics reach the database as they happen, so a cancelled run keeps its curve.
  struct StoringObserver : Observer {
    ResultStore& store;
    int64_t run;
    Observer* next;
    StoringObserver(ResultStore& s, int64_t r, Observer* n) : store(s), run(r), next(n) {}
    void on_progress(const Progress& p) override { if (next) next->on_progress(p); }
    void on_log(const std::string& l) override { if (next) next->on_log(l); }
    void on_result(const std::string& kind, const nlohmann::json& r) override {
      if (kind == "epoch")
        for (const char* k : {"loss", "train_accuracy", "test_accuracy", "lr", "images_per_second"})
          store.add_metric(run, k, r.at(k).get<double>(), r.at("epoch").get<int64_t>());
      if (next) next->on_result(kind, r);
    }
  } storing(store, outcome.train_run, observer);
  TrainContext ctx{&storing, stop, experiment.dataset.augment, {}};
  record_run(store, outcome.train_run, [&] {
    outcome.training = train_network(net, data, experiment.training, ctx);
    save_model(net, outcome.model_path,
               {{"dataset", to_json(experiment.dataset)}, {"training", outcome.training.to_json()}});
    nlohmann::json summary = outcome.training.to_json();
    summary["model_path"] = outcome.model_path;
    return summary;
  });
  return net;
}

ExperimentOutcome run_experiment(const Project& project, const Experiment& experiment, ResultStore& store,
                                 Observer* observer, const StopToken* stop) {
  ExperimentOutcome outcome;
  if (observer) observer->on_log("loading dataset " + experiment.dataset.name);
  DatasetSplit data = load_dataset(experiment.dataset);
  Network net = prepare_network(project, experiment, data, store, outcome, observer, stop);

  outcome.eval_run = store.begin_run(run_info(project, experiment, "eval"));
  record_run(store, outcome.eval_run, [&] {
    outcome.evaluation = evaluate(net, data.test, experiment.training.eval_batch_size);
    store.add_metric(outcome.eval_run, "accuracy", outcome.evaluation.accuracy);
    store.add_metric(outcome.eval_run, "latency_ms_per_image", outcome.evaluation.latency_ms_per_image);
    for (size_t c = 0; c < outcome.evaluation.per_class_accuracy.size(); ++c)
      store.add_metric(outcome.eval_run, "class_accuracy", outcome.evaluation.per_class_accuracy[c],
                       static_cast<int64_t>(c));
    nlohmann::json summary = outcome.evaluation.to_json();
    summary["model_path"] = outcome.model_path;
    return summary;
  });
  if (observer) observer->on_result("evaluation", outcome.evaluation.to_json());
  return outcome;
}

nlohmann::json ExperimentOutcome::to_json() const {
  nlohmann::json j = {{"model_path", model_path}, {"eval_run", eval_run}, {"evaluation", evaluation.to_json()}};
  if (train_run) {
    j["train_run"] = train_run;
    j["training"] = training.to_json();
  }
  return j;
}

}  // namespace faultscape
