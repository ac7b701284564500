#include "study/experiment_runner.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "campaign/campaign_setup.h"
#include "campaign/campaigns.h"
#include "campaign/faulty_evaluator.h"
#include "common/error.h"
#include "ftt/training_variants.h"
#include "models/model_io.h"
#include "models/zoo.h"
#include "common/pareto.h"
#include "protect/overhead.h"
#include "protect/protection_spec.h"
#include "protect/schemes.h"

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

// The protected network of `specs` (profiled on training images) and what the protection costs,
// as {"protection": {"schemes": [...], "overhead": {...}}} for the campaign summary.
Network protect_network(Network& net, const std::vector<ProtectionSpec>& specs, const DatasetSplit& data,
                        nlohmann::json& info, Observer* observer) {
  int64_t profile = 0;
  for (const auto& s : specs) profile = std::max(profile, s.profile_images);
  const int64_t n = std::min(profile, data.train.size());
  torch::Tensor train = data.train.images.narrow(0, 0, n), labels = data.train.labels.narrow(0, 0, n);
  nlohmann::json details;
  Network protected_net = specs.empty() ? net : apply_protection(net, specs, train, labels, details);
  Overhead o = measure_overhead(net, protected_net, data.test.images);
  reset_abft_counts(protected_net);
  info = {{"protection", {{"schemes", specs.empty() ? nlohmann::json::array() : details}, {"overhead", o.to_json()}}}};
  if (observer)
    observer->on_log("protection: " + std::to_string(specs.size()) + " scheme(s), params x" +
                     std::to_string(o.to_json()["params_ratio"].get<double>()) + ", hardware cost " +
                     std::to_string(o.hardware_cost()));
  return protected_net;
}

// Accuracy statistics of a campaign summary: one rate's statistics, or over the rates (ber
// sweep); golden minus the mean and worst drops (stuck sweep).
nlohmann::json campaign_accuracy(const nlohmann::json& c) {
  if (c.value("kind", "") == "ber_sweep" && c.contains("points") && !c["points"].empty()) {
    if (c["points"].size() == 1) return c["points"][0]["accuracy"];
    double sum = 0, lo = 1e300, hi = -1e300;
    for (const auto& p : c["points"]) {
      double m = p["accuracy"].value("mean", 0.0);
      sum += m, lo = std::min(lo, m), hi = std::max(hi, m);
    }
    return {{"mean", sum / c["points"].size()}, {"min", lo}, {"max", hi}, {"rates", c["points"].size()}};
  }
  const double golden = c.value("golden_accuracy", 0.0);
  if (c.value("kind", "") == "stuck_sweep")
    return {{"mean", golden - c.value("mean_drop", 0.0)}, {"min", golden - c.value("worst_drop", 0.0)}};
  return {{"mean", golden}, {"min", golden}, {"max", golden}};
}

}  // namespace

void run_campaign(const Project& project, const Experiment& experiment, const CampaignSetup& setup, Network& net,
                  const Dataset& test, ResultStore& store, ExperimentOutcome& outcome, const RunControl& control,
                  const nlohmann::json& extra = nlohmann::json::object());
void run_design_space(const Project& project, const Experiment& experiment, const CampaignSetup& setup,
                      const std::vector<ProtectionSpec>& base, Network& net, const DatasetSplit& data,
                      ResultStore& store, ExperimentOutcome& outcome, const RunControl& control);

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
    if (!load.empty() && observer) {
      observer->on_log("reusing the model trained earlier: " + load);
      observer->on_model_reused(load);
    }
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
    void on_progress(const Progress& p) override {
      if (next) next->on_progress(p);
    }
    void on_log(const std::string& l) override {
      if (next) next->on_log(l);
    }
    void on_result(const std::string& kind, const nlohmann::json& r) override {
      if (kind == "epoch")
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

ExperimentOutcome run_experiment(const Project& project, const Experiment& experiment, ResultStore& store,
                                 const RunControl& control) {
  Observer* observer = control.observer;
  const CampaignSetup& setup = experiment.setup;
  const std::vector<ProtectionSpec>& protection = experiment.protection;
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

void run_campaign(const Project& project, const Experiment& experiment, const CampaignSetup& setup, Network& net,
                  const Dataset& test, ResultStore& store, ExperimentOutcome& outcome, const RunControl& control,
                  const nlohmann::json& extra) {
  const CampaignConfig& cc = setup.campaign;
  int64_t n = cc.test_limit > 0 ? std::min(cc.test_limit, test.size()) : test.size();
  FaultyEvaluator ev(net, test.images.narrow(0, 0, n), test.labels.narrow(0, 0, n), cc.batch_size,
                     cc.cache_mb * (int64_t{1} << 20));
  RunInfo info = run_info(project, experiment, cc.kind);
  info.config["model_path"] = outcome.model_path;
  info.seed = cc.seed;
  if (extra.contains("grid_point")) info.config["grid_point"] = extra["grid_point"];
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
    if (cc.kind == "stuck_sweep")
      summary = run_stuck_sweep(ev, setup.fault, cc, io);
    else if (cc.kind == "ber_sweep")
      summary = run_ber_sweep(ev, setup.fault, cc, io);
    else
      summary = run_golden(ev);
    summary["run"] = outcome.campaign_run;
    summary.update(extra);
    nlohmann::json abft = abft_counts(ev.net());
    if (abft["checked"].get<int64_t>() > 0) summary["abft"] = abft;
    return summary;
  });
  if (control.observer) control.observer->on_result("campaign", outcome.campaign);
}

// Every grid point is protected, then evaluated by the campaign with the same seed (paired faults)
// as its own run; a "protection_grid" run then holds all points, Pareto-sorted, and the points
// and front are written as CSV and JSON next to the model files.
void run_design_space(const Project& project, const Experiment& experiment, const CampaignSetup& setup,
                      const std::vector<ProtectionSpec>& base, Network& net, const DatasetSplit& data,
                      ResultStore& store, ExperimentOutcome& outcome, const RunControl& control) {
  nlohmann::json points = nlohmann::json::array();
  for (size_t k = 0; k < setup.grid.size(); ++k) {
    const GridPoint& gp = setup.grid[k];
    if (control.observer)
      control.observer->on_log("design point " + std::to_string(k + 1) + "/" + std::to_string(setup.grid.size()) +
                               ": " + gp.label);
    std::vector<ProtectionSpec> specs = base;
    specs.insert(specs.end(), gp.schemes.begin(), gp.schemes.end());
    nlohmann::json extra;
    Network target = protect_network(net, specs, data, extra, control.observer);
    extra["grid_point"] = {{"label", gp.label}, {"protection", gp.protection}};
    ExperimentOutcome point_outcome;
    point_outcome.model_path = outcome.model_path;
    run_campaign(project, experiment, setup, target, data.test, store, point_outcome, control, extra);
    const nlohmann::json& c = point_outcome.campaign;
    nlohmann::json point = {{"label", gp.label},
                            {"protection", gp.protection},
                            {"run", point_outcome.campaign_run},
                            {"golden_accuracy", c.value("golden_accuracy", 0.0)},
                            {"accuracy", campaign_accuracy(c)},
                            {"overhead", extra["protection"]["overhead"]}};
    if (c.contains("abft")) point["abft"] = c["abft"];
    points.push_back(point);
  }
  nlohmann::json objectives = nlohmann::json::array();
  for (const auto& o : setup.objectives) objectives.push_back({{"name", o.name}, {"maximize", o.maximize}});
  nlohmann::json sorted = pareto_sort(points, setup.objectives);
  nlohmann::json front = nlohmann::json::array();
  for (const auto& p : sorted)
    if (p["pareto_front"].get<bool>()) front.push_back(p["label"]);
  const std::filesystem::path dir = std::filesystem::path(project.output_dir) / project.name;
  std::filesystem::create_directories(dir);
  const std::string stem = (dir / (experiment.name + "_design_space")).string();
  std::ofstream(stem + ".csv") << pareto_csv(sorted);
  std::ofstream(stem + ".json") << nlohmann::json{{"objectives", objectives}, {"points", sorted}}.dump(2) << "\n";
  RunInfo info = run_info(project, experiment, "protection_grid");
  info.seed = setup.campaign.seed;
  outcome.campaign_run = store.begin_run(info);
  outcome.campaign = record_run(store, outcome.campaign_run, [&] {
    std::vector<TrialRow> rows;  // one row per design point, in Pareto order
    for (size_t i = 0; i < sorted.size(); ++i) {
      const nlohmann::json& p = sorted[i];
      rows.push_back({static_cast<int64_t>(i),
                      {{"label", p["label"]}, {"protection", p["protection"]}},
                      p["accuracy"].value("mean", 0.0),
                      p});
    }
    store.add_trials(outcome.campaign_run, rows);
    return nlohmann::json{
        {"kind", "protection_grid"}, {"objectives", objectives}, {"points", sorted},           {"front", front},
        {"csv", stem + ".csv"},      {"json", stem + ".json"},   {"run", outcome.campaign_run}};
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
