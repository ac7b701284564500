#include "study/model_pruning.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "common/sha256.h"
#include "models/model_io.h"
#include "prune/prune_study.h"
#include "runtime/device.h"
#include "study/epoch_recorder.h"
#include "study/model_files.h"
#include "study/run_info.h"

namespace faultscape {
namespace {

// What a pruned model file records besides its weights: no timings, so pruning the same network
// again gives the same bytes (hence the same SHA-256, which campaigns are keyed by).
nlohmann::json pruned_meta(const Experiment& experiment, const std::string& from, const PruneReport& report) {
  nlohmann::json r = report.to_json();
  return {{"dataset", to_json(experiment.dataset)},
          {"pruned",
           {{"from", from},
            {"criterion", r["criterion"]},
            {"ratio", r["ratio"]},
            {"linear_ratio", r["linear_ratio"]},
            {"removed_channels", r["removed_channels"]},
            {"channels_after", r["channels_after"]}}}};
}

void record_costs(ResultStore& store, int64_t run, const PruneReport& r) {
  const std::pair<const char*, const NetworkCost*> costs[] = {
      {"before", &r.before}, {"pruned", &r.pruned}, {"fine_tuned", &r.fine_tuned}};
  for (const auto& [step, c] : costs) {
    const std::string s = step;
    store.add_metric(run, s + "_accuracy", c->accuracy);
    store.add_metric(run, s + "_params", static_cast<double>(c->params));
    store.add_metric(run, s + "_macs", static_cast<double>(c->macs));
  }
  store.add_metric(run, "removed_channels", static_cast<double>(r.removed_channels));
}

}  // namespace

std::string pruned_model_path(const Project& project, const Experiment& experiment) {
  if (!experiment.prune.save.empty()) return experiment.prune.save;
  return (std::filesystem::path(project.output_dir) / project.name /
          (experiment.name + ".seed" + std::to_string(experiment.training.seed) + ".pruned.pt"))
      .string();
}

Network prune_network(const Project& project, const Experiment& experiment, Network net, const DatasetSplit& data,
                      ResultStore& store, ExperimentOutcome& outcome, const RunControl& control) {
  Observer* observer = control.observer;
  RunInfo info = run_info(project, experiment, "prune");
  // The identity of the weights pruned: another trained model, another prune run.
  info.config["base_model_sha256"] = outcome.model_sha256;
  if (!control.retrain) {
    const ReusableModel earlier = reusable_model(control.model_source ? *control.model_source : store, info, observer);
    if (!earlier.path.empty()) {
      if (observer) observer->on_log("reusing the model pruned earlier: " + earlier.path);
      Network pruned = load_network(earlier.path, data.test.image_shape(), data.test.num_classes);
      pruned->to(compute_device());
      if (sha256_file(earlier.path) != earlier.sha256)
        throw ModelError(earlier.path + ": the model file changed while it was being loaded");
      outcome.pruning = earlier.summary;
      outcome.model_path = earlier.path;
      outcome.model_sha256 = earlier.sha256;
      return pruned;
    }
  }
  // Shards run side by side: pruning in each would race on one model file.
  if (dynamic_cast<const ShardExecutor*>(control.executor))
    throw ConfigError("experiment \"" + experiment.name +
                      "\": a shard needs its model pruned first: run `faultscape-cli run PROJECT --train-only` "
                      "(the first job of the script `faultscape-cli slurm` writes)");
  const std::string path = pruned_model_path(project, experiment);
  std::vector<ProtectedFile> keep = protected_files(project, experiment);
  keep.push_back({outcome.model_path, "the model being pruned"});
  check_output_path(path, "prune.save", keep);
  PruneConfig config = experiment.prune;
  config.fine_tune.loss = experiment.training.loss;
  config.fine_tune.seed = experiment.training.seed;
  config.fine_tune.eval_batch_size = experiment.training.eval_batch_size;
  if (observer) {
    char line[160];
    std::snprintf(line, sizeof line, "pruning by %s (ratio %g, linear layers %g), then %d fine-tuning epochs",
                  config.criterion.c_str(), config.ratio, config.ratio_for(true), config.fine_tune.epochs);
    observer->on_log(line);
  }
  outcome.prune_run = store.begin_run(info);
  EpochRecorder recorder(store, outcome.prune_run, observer);
  TrainContext ctx{&recorder, control.stop, experiment.dataset.augment, {}};
  const std::string from = outcome.model_path;
  record_run(store, outcome.prune_run, [&] {
    seed_everything(config.fine_tune.seed);  // the fine-tuning's shuffling and dropout
    const PruneReport report = prune_and_fine_tune(net, data, config, ctx);
    record_costs(store, outcome.prune_run, report);
    save_model(net, path, pruned_meta(experiment, from, report));
    nlohmann::json summary = report.to_json();
    summary["base_model_path"] = from;
    summary["model_path"] = path;
    summary["model_sha256"] = sha256_file(path);
    outcome.pruning = summary;
    outcome.model_path = path;
    outcome.model_sha256 = summary["model_sha256"];
    return summary;
  });
  return net;
}

}  // namespace faultscape
