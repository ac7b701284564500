#include "study/model_provider.h"

#include <torch/torch.h>

#include <filesystem>

#include "common/error.h"
#include "common/file_checks.h"
#include "common/sha256.h"
#include "ftt/training_variants.h"
#include "models/model_io.h"
#include "models/zoo.h"
#include "runtime/device.h"
#include "study/epoch_recorder.h"
#include "study/model_files.h"
#include "study/model_pruning.h"
#include "study/run_info.h"

namespace faultscape {
namespace {

void check_model_fits(const Network& net, const Dataset& data, const std::string& where) {
  std::vector<int64_t> shape = data.image_shape();
  if (net->input_shape() != shape || net->num_classes() != data.num_classes)
    throw ModelError(where + ": the model was built for another input shape or class count than dataset \"" +
                     data.name + "\"");
}

// Timings stay out of a saved model: the same training then gives the same bytes, hence the same
// SHA-256, in every process (a distributed run's model is the one a single process trains).
nlohmann::json without_timings(nlohmann::json record) {
  record.erase("seconds");
  record.erase("images_per_second");
  if (record.contains("epochs"))
    for (auto& epoch : record["epochs"]) epoch.erase("seconds"), epoch.erase("images_per_second");
  return record;
}

}  // namespace

std::string default_model_path(const Project& project, const Experiment& experiment) {
  return (std::filesystem::path(project.output_dir) / project.name / (experiment.name + ".pt")).string();
}

namespace {

// Trains, reuses or loads the experiment's model in this process.
Network prepare_base(const Project& project, const Experiment& experiment, const DatasetSplit& data, ResultStore& store,
                     ExperimentOutcome& outcome, const RunControl& control) {
  Observer* observer = control.observer;
  std::string load = experiment.load;
  RunInfo train_info = run_info(project, experiment, "train");
  std::string sha;
  if (load.empty() && !control.retrain) {
    const ReusableModel earlier =
        reusable_model(control.model_source ? *control.model_source : store, train_info, observer);
    load = earlier.path;
    sha = earlier.sha256;
    if (!load.empty() && observer) {
      observer->on_log("reusing the model trained earlier: " + load);
      observer->on_model_reused(load);
    }
  }
  if (!load.empty()) {
    check_input_file(load, "model file");
    if (sha.empty()) sha = sha256_file(load);
    // A Faultscape model file, or a TorchScript file used as it is.
    Network net = load_network(load, data.test.image_shape(), data.test.num_classes);
    net->to(compute_device());
    // Hashed before loading; a file replaced in between would give weights of unknown identity.
    if (sha256_file(load) != sha) throw ModelError(load + ": the model file changed while it was being loaded");
    outcome.model_sha256 = sha;
    check_model_fits(net, data.test, load);
    outcome.model_path = load;
    return net;
  }
  const bool imported = experiment.model.name == "torchscript";
  if (imported) check_input_file(experiment.model.file, "model.file");
  seed_everything(experiment.training.seed);
  Network net = build_network(experiment.model, data.train.image_shape(), data.train.num_classes);
  net->to(compute_device());
  if (experiment.training.epochs == 0) {
    // Used as it is: an imported network with its own weights (a zoo network stays untrained).
    if (observer)
      observer->on_log(imported ? "using " + experiment.model.file + " as it is (no training)"
                                : "warning: training.epochs is 0: the " + experiment.model.name +
                                      " network stays untrained");
    outcome.model_path = experiment.model.file;
    // The file's identity goes into the campaign's configuration: another file, another run.
    if (imported) outcome.model_sha256 = sha256_file(experiment.model.file);
    return net;
  }
  // Shards run side by side: training in each would race on one model file.
  if (dynamic_cast<const ShardExecutor*>(control.executor))
    throw ConfigError("experiment \"" + experiment.name +
                      "\": a shard needs its model trained first: run `faultscape-cli run PROJECT --train-only` "
                      "(the first job of the script `faultscape-cli slurm` writes)");
  outcome.model_path =
      experiment.training.checkpoint.empty() ? default_model_path(project, experiment) : experiment.training.checkpoint;
  // Checked before training starts, not after hours of it.
  check_output_path(outcome.model_path, "training.checkpoint", protected_files(project, experiment));
  outcome.train_run = store.begin_run(train_info);
  // Per-epoch metrics reach the database as they happen, so a cancelled run keeps its curve.
  EpochRecorder storing(store, outcome.train_run, observer);
  TrainContext ctx{&storing, control.stop, experiment.dataset.augment, {}};
  // FAT / dropout layers live only during training; finish() restores the plain architecture.
  TrainingVariants variants(net, experiment.training, observer);
  variants.install(ctx.hooks);
  net->to(compute_device());  // the layers the variants added
  record_run(store, outcome.train_run, [&] {
    outcome.training = train_network(net, data, experiment.training, ctx);
    variants.finish();
    net->to(compute_device());
    save_model(net, outcome.model_path,
               {{"dataset", to_json(experiment.dataset)}, {"training", without_timings(outcome.training.to_json())}});
    nlohmann::json summary = outcome.training.to_json();
    summary["model_path"] = outcome.model_path;
    // The identity of the saved weights: reuse and resumed campaigns check the file against it.
    outcome.model_sha256 = sha256_file(outcome.model_path);
    summary["model_sha256"] = outcome.model_sha256;
    if (!variants.describe().empty()) summary["variants"] = variants.describe();
    return summary;
  });
  return net;
}

// The experiment's model in this process, pruned when the experiment prunes.
Network prepare_here(const Project& project, const Experiment& experiment, const DatasetSplit& data, ResultStore& store,
                     ExperimentOutcome& outcome, const RunControl& control) {
  Network net = prepare_base(project, experiment, data, store, outcome, control);
  return experiment.prunes ? prune_network(project, experiment, net, data, store, outcome, control) : net;
}

}  // namespace

Network prepare_network(const Project& project, const Experiment& experiment, const DatasetSplit& data,
                        ResultStore& store, ExperimentOutcome& outcome, const RunControl& control) {
  if (!control.executor) return prepare_here(project, experiment, data, store, outcome, control);
  std::string shared;  // "path\nsha256" of the model the recording process uses
  if (control.records()) {
    Network net = prepare_here(project, experiment, data, store, outcome, control);
    shared = outcome.model_path + "\n" + outcome.model_sha256;
    control.executor->share(shared);
    return net;
  }
  // Another process trained, reused or loaded the model: this one loads the same file (a shared
  // filesystem), verified by its SHA-256. No hash: an untrained zoo network, built here alike.
  control.executor->share(shared);
  const size_t cut = shared.find('\n');
  const std::string path = shared.substr(0, cut), sha = cut == std::string::npos ? "" : shared.substr(cut + 1);
  if (sha.empty()) {
    RunControl alone = control;
    alone.executor = nullptr;
    return prepare_here(project, experiment, data, store, outcome, alone);
  }
  check_input_file(path, "model file");
  if (sha256_file(path) != sha)
    throw ModelError(path + ": this process reads other bytes than the recording process hashed (SHA-256 " +
                     sha.substr(0, 12) + "): the output directory must be on a filesystem every rank shares");
  Network net = load_network(path, data.test.image_shape(), data.test.num_classes);
  net->to(compute_device());
  outcome.model_path = path;
  outcome.model_sha256 = sha;
  return net;
}

}  // namespace faultscape
