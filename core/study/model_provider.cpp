#include "study/model_provider.h"

#include <torch/torch.h>

#include <filesystem>

#include "common/error.h"
#include "ftt/training_variants.h"
#include "models/model_io.h"
#include "models/zoo.h"
#include "study/run_info.h"

namespace faultscape {
namespace {

void check_model_fits(const Network& net, const Dataset& data, const std::string& where) {
  std::vector<int64_t> shape = data.image_shape();
  if (net->input_shape() != shape || net->num_classes() != data.num_classes)
    throw ModelError(where + ": the model was built for another input shape or class count than dataset \"" +
                     data.name + "\"");
}

// The model file of the latest complete training run with exactly this configuration.
std::string reusable_model(const ResultStore& store, const RunInfo& info) {
  const std::string hash = ResultStore::hash_config(info.config);
  std::string path;
  for (const RunRow& r : store.runs({info.experiment, "train", "complete"}))
    if (r.project == info.project && r.config_hash == hash && r.summary.is_object() &&
        std::filesystem::exists(r.summary.value("model_path", "")))
      path = r.summary.value("model_path", "");
  return path;
}

}  // namespace

std::string default_model_path(const Project& project, const Experiment& experiment) {
  return (std::filesystem::path(project.output_dir) / project.name / (experiment.name + ".pt")).string();
}

Network prepare_network(const Project& project, const Experiment& experiment, const DatasetSplit& data,
                        ResultStore& store, ExperimentOutcome& outcome, const RunControl& control) {
  Observer* observer = control.observer;
  std::string load = experiment.load;
  RunInfo train_info = run_info(project, experiment, "train");
  if (load.empty() && !control.retrain) {
    load = reusable_model(store, train_info);
    if (!load.empty() && observer) {
      observer->on_log("reusing the model trained earlier: " + load);
      observer->on_model_reused(load);
    }
  }
  if (!load.empty()) {
    // A Faultscape model file, or a TorchScript file used as it is.
    Network net = load_network(load, data.test.image_shape(), data.test.num_classes);
    check_model_fits(net, data.test, load);
    outcome.model_path = load;
    return net;
  }
  seed_everything(experiment.training.seed);
  Network net = build_network(experiment.model, data.train.image_shape(), data.train.num_classes);
  if (experiment.training.epochs == 0) {
    // Used as it is: an imported network with its own weights (a zoo network stays untrained).
    if (observer)
      observer->on_log(experiment.model.name == "torchscript"
                           ? "using " + experiment.model.file + " as it is (no training)"
                           : "warning: training.epochs is 0: the " + experiment.model.name +
                                 " network stays untrained");
    outcome.model_path = experiment.model.file;
    return net;
  }
  outcome.model_path =
      experiment.training.checkpoint.empty() ? default_model_path(project, experiment) : experiment.training.checkpoint;
  outcome.train_run = store.begin_run(train_info);
  // Per-epoch metrics reach the database as they happen, so a cancelled run keeps its curve.
  struct StoringObserver : Observer {
    ResultStore& store;
    int64_t run;
    Observer* next;
    StoringObserver(ResultStore& s, int64_t r, Observer* n) : store(s), run(r), next(n) {}
    void on_progress(const Progress& p) override {
      if (next) next->on_progress(p);
    }
    void on_log(const std::string& l) override {
      if (next) next->on_log(l);
    }
    void on_result(RecordKind kind, const nlohmann::json& r) override {
      if (kind == RecordKind::Epoch)
        for (const char* k : {"loss", "train_accuracy", "test_accuracy", "lr", "images_per_second"})
          store.add_metric(run, k, r.at(k).get<double>(), r.at("epoch").get<int64_t>());
      if (next) next->on_result(kind, r);
    }
  } storing(store, outcome.train_run, observer);
  TrainContext ctx{&storing, control.stop, experiment.dataset.augment, {}};
  // FAT / dropout layers live only during training; finish() restores the plain architecture.
  TrainingVariants variants(net, experiment.training, observer);
  variants.install(ctx.hooks);
  record_run(store, outcome.train_run, [&] {
    outcome.training = train_network(net, data, experiment.training, ctx);
    variants.finish();
    save_model(net, outcome.model_path,
               {{"dataset", to_json(experiment.dataset)}, {"training", outcome.training.to_json()}});
    nlohmann::json summary = outcome.training.to_json();
    summary["model_path"] = outcome.model_path;
    if (!variants.describe().empty()) summary["variants"] = variants.describe();
    return summary;
  });
  return net;
}

}  // namespace faultscape
