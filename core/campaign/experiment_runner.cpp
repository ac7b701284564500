#include "campaign/experiment_runner.h"

#include <torch/torch.h>

#include <filesystem>

#include "campaign/campaign_setup.h"
#include "campaign/campaigns.h"
#include "campaign/faulty_evaluator.h"
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

void run_campaign(const Project& project, const Experiment& experiment, const CampaignSetup& setup, Network& net,
                  const Dataset& test, ResultStore& store, ExperimentOutcome& outcome, const RunControl& control);

std::string default_model_path(const Project& project, const Experiment& experiment) {
  return (std::filesystem::path(project.output_dir) / project.name / (experiment.name + ".pt")).string();
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

Network prepare_network(const Project& project, const Experiment& experiment, const DatasetSplit& data,
                        ResultStore& store, ExperimentOutcome& outcome, const RunControl& control) {
  Observer* observer = control.observer;
  std::string load = experiment.load;
  RunInfo train_info = run_info(project, experiment, "train");
  if (load.empty() && !control.retrain) {
    load = reusable_model(store, train_info);
    if (!load.empty() && observer) observer->on_log("reusing the model trained earlier: " + load);
  }
  if (!load.empty()) {
    LoadedModel loaded = load_model(load);
    check_model_fits(loaded.net, data.test, load);
    outcome.model_path = load;
    return loaded.net;
  }
  seed_everything(experiment.training.seed);
  Network net = build_network(experiment.model, data.train.image_shape(), data.train.num_classes);
  outcome.model_path =
      experiment.training.checkpoint.empty() ? default_model_path(project, experiment) : experiment.training.checkpoint;
  outcome.train_run = store.begin_run(train_info);
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
  TrainContext ctx{&storing, control.stop, experiment.dataset.augment, {}};
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
                                 const RunControl& control) {
  Observer* observer = control.observer;
  // Validate faults and campaign before spending time on training.
  CampaignSetup setup = parse_campaign_setup(experiment.faults, experiment.campaign, experiment.name);
  ExperimentOutcome outcome;
  if (observer) observer->on_log("loading dataset " + experiment.dataset.name);
  DatasetSplit data = load_dataset(experiment.dataset);
  Network net = prepare_network(project, experiment, data, store, outcome, control);

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
  if (setup.has_faults || setup.campaign.kind != "golden")
    run_campaign(project, experiment, setup, net, data.test, store, outcome, control);
  return outcome;
}

void run_campaign(const Project& project, const Experiment& experiment, const CampaignSetup& setup, Network& net,
                  const Dataset& test, ResultStore& store, ExperimentOutcome& outcome, const RunControl& control) {
  const CampaignConfig& cc = setup.campaign;
  int64_t n = cc.test_limit > 0 ? std::min(cc.test_limit, test.size()) : test.size();
  FaultyEvaluator ev(net, test.images.narrow(0, 0, n), test.labels.narrow(0, 0, n), cc.batch_size,
                     cc.cache_mb * (int64_t{1} << 20));
  RunInfo info = run_info(project, experiment, cc.kind);
  info.config["model_path"] = outcome.model_path;
  info.seed = cc.seed;
  // An interrupted run of exactly this configuration is resumed, not repeated.
  std::optional<int64_t> resumable =
      store.find_resumable_run(info.project, info.experiment, info.kind, ResultStore::hash_config(info.config));
  if (resumable) {
    outcome.campaign_run = *resumable;
    store.resume_run(*resumable);
    if (control.observer) control.observer->on_log("resuming run " + std::to_string(*resumable));
  } else {
    outcome.campaign_run = store.begin_run(info);
  }
  outcome.campaign = record_run(store, outcome.campaign_run, [&] {
    TrialRecorder recorder(&store, outcome.campaign_run, control.observer);
    CampaignIO io{recorder, control.observer, control.stop};
    nlohmann::json summary;
    if (cc.kind == "stuck_sweep") summary = run_stuck_sweep(ev, setup.fault, cc, io);
    else if (cc.kind == "ber_sweep") summary = run_ber_sweep(ev, setup.fault, cc, io);
    else summary = run_golden(ev);
    summary["run"] = outcome.campaign_run;
    return summary;
  });
  if (control.observer) control.observer->on_result("campaign", outcome.campaign);
}

nlohmann::json ExperimentOutcome::to_json() const {
  nlohmann::json j = {{"model_path", model_path}, {"eval_run", eval_run}, {"evaluation", evaluation.to_json()}};
  if (campaign_run) {
    j["campaign_run"] = campaign_run;
    nlohmann::json c = campaign;
    c.erase("predictions");  // per-image data stays in the database
    j["campaign"] = c;
  }
  if (train_run) {
    j["train_run"] = train_run;
    j["training"] = training.to_json();
  }
  return j;
}

}  // namespace faultscape
