#include "study/experiment_runner.h"

#include "study/campaign_runner.h"
#include "study/design_space_study.h"
#include "study/device_placement.h"
#include "study/protector.h"
#include "study/run_info.h"

namespace faultscape {
namespace {

// An imported model near chance level is almost always fed differently scaled inputs than it was
// trained on; say so instead of letting a campaign measure noise.
void warn_near_chance(double accuracy, int64_t classes, Observer* observer) {
  const double chance = 100.0 / static_cast<double>(std::max<int64_t>(1, classes));
  if (observer && accuracy < 1.5 * chance)
    observer->on_log("warning: golden accuracy " + std::to_string(accuracy) + " % is near chance (" +
                     std::to_string(chance) +
                     " %): check dataset.normalize and the input scaling the model was "
                     "trained with");
}

}  // namespace

ExperimentOutcome run_experiment(const Project& project, const Experiment& experiment, ResultStore& store,
                                 const RunControl& control) {
  Observer* observer = control.observer;
  const CampaignSetup& setup = experiment.setup;
  const std::vector<ProtectionSpec>& protection = experiment.protection;
  ExperimentOutcome outcome;
  const c10::Device device = choose_device(project, observer);
  if (observer) observer->on_log("loading dataset " + experiment.dataset.name);
  DatasetSplit data = load_dataset(experiment.dataset);
  place_dataset(data, device, observer);
  Network net = prepare_network(project, experiment, data, store, outcome, control);
  if (control.train_only) return outcome;

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
    summary["model_sha256"] = outcome.model_sha256;
    return summary;
  });
  if (observer) observer->on_result(RecordKind::Evaluation, outcome.evaluation.to_json());
  warn_near_chance(outcome.evaluation.accuracy, data.test.num_classes, observer);
  if (!setup.grid.empty()) {
    run_design_space(project, experiment, setup, protection, net, data, store, outcome, control);
    return outcome;
  }
  nlohmann::json extra = nlohmann::json::object();
  Network target = protection.empty() ? net : protect_network(net, protection, data, extra, observer);
  if (setup.has_faults || setup.campaign.kind != "golden" || !protection.empty())
    run_campaign(project, experiment, setup, target, data.test, store, outcome, control, extra);
  return outcome;
}

}  // namespace faultscape
