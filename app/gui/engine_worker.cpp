#include <torch/torch.h>  // before any Qt header (Qt's `slots` macro breaks torch's headers)

#include "engine_worker.h"

#include <chrono>

#include "study/experiment_runner.h"
#include "study/seed_summary.h"
#include "runtime/runtime.h"
#include "data/dataset_info.h"
#include "models/model_io.h"
#include "models/summary.h"
#include "models/zoo.h"
#include "common/json_reader.h"
#include "project/project.h"
#include "store/project_lock.h"
#include "store/result_store.h"

namespace faultscape::gui {
namespace {

using Clock = std::chrono::steady_clock;

// Engine callbacks -> queued signals. Runs on the worker thread. Trials can arrive thousands of
// times a second; they are collected and emitted as one batch per 40 ms so the UI thread handles a
// bounded number of events whatever the campaign's speed. Progress is thinned the same way.
class SignalObserver : public Observer {
 public:
  explicit SignalObserver(EngineWorker* w) : w_(w) {}
  ~SignalObserver() override { flush(); }

  void on_progress(const Progress& p) override {
    if (w_->paused()) {
      flush();  // everything measured so far is shown before the pause
      w_->wait_while_paused();
    }
    const auto now = Clock::now();
    if (p.done < p.total && now - last_progress_ < std::chrono::milliseconds(50)) return;
    last_progress_ = now;
    flush_if_due(now);
    Q_EMIT w_->progress(QString::fromStdString(p.phase), p.done, p.total, p.elapsed_s,
                        QString::fromStdString(p.message));
  }
  void on_result(RecordKind kind, const nlohmann::json& record) override {
    if (is_trial(kind)) {
      if (!trials_.empty() && kind != trial_kind_) flush();
      trial_kind_ = kind;
      trials_.push_back(record);
      flush_if_due(Clock::now());
      return;
    }
    flush();  // keep the order: a summary never overtakes its trials
    Q_EMIT w_->results(kind, nlohmann::json::array({record}));
  }
  void on_log(const std::string& line) override { Q_EMIT w_->log(QString::fromStdString(line)); }
  void on_model_reused(const std::string& path) override { Q_EMIT w_->model_reused(QString::fromStdString(path)); }

  void flush() {
    if (trials_.empty()) return;
    Q_EMIT w_->results(trial_kind_, trials_);
    trials_ = nlohmann::json::array();
    last_flush_ = Clock::now();
  }

 private:
  void flush_if_due(Clock::time_point now) {
    if (trials_.size() >= 8192 || now - last_flush_ >= std::chrono::milliseconds(40)) flush();
  }

  EngineWorker* w_;
  nlohmann::json trials_ = nlohmann::json::array();
  RecordKind trial_kind_ = RecordKind::BerTrial;  // of the trials collected
  Clock::time_point last_flush_ = Clock::now(), last_progress_{};
};

QString error_text(const std::exception& e) {
  if (auto* v = dynamic_cast<const ValidationError*>(&e)) {
    QString text = QString::fromStdString(v->source()) + ":";
    for (const auto& p : v->problems()) text += "\n  " + QString::fromStdString(p);
    return text;
  }
  return QString::fromStdString(e.what());
}

}  // namespace

EngineWorker::EngineWorker(QObject* parent) : QObject(parent) {
  qRegisterMetaType<nlohmann::json>();
  qRegisterMetaType<faultscape::RecordKind>();
}

void EngineWorker::cancel() {
  stop_.cancel = true;
  std::lock_guard<std::mutex> lock(pause_mutex_);
  pause_cv_.notify_all();
}

void EngineWorker::set_paused(bool paused) {
  std::lock_guard<std::mutex> lock(pause_mutex_);
  paused_ = paused;
  pause_cv_.notify_all();
}

void EngineWorker::wait_while_paused() {
  Q_EMIT log("paused");
  std::unique_lock<std::mutex> lock(pause_mutex_);
  pause_cv_.wait(lock, [this] { return !paused_ || stop_.requested(); });
  Q_EMIT log(stop_.requested() ? "cancelled while paused" : "resumed");
}

void EngineWorker::run(const nlohmann::json& doc, const QString& path, const QString& experiment, bool retrain) {
  stop_.cancel = false;
  paused_ = false;
  SignalObserver observer(this);
  try {
    Project project = parse_project(doc, path.isEmpty() ? "untitled project" : path.toStdString());
    set_threads(project.threads);
    const Experiment& e = project.experiment(experiment.toStdString());
    ProjectLock lock(project.database_path());  // refuses while a CLI run writes this project
    ResultStore store(project.database_path());
    Q_EMIT started(experiment, QString::fromStdString(store.path()));
    RunControl control;
    control.observer = &observer;
    control.stop = &stop_;
    control.retrain = retrain;
    // A seed study (project "seeds"): once per training seed, finished seeds taken as measured.
    const std::vector<Experiment> variants = seed_variants(project, e);
    const bool seed_study = project.seed_count > 0 || !project.seed_list.empty();
    control.reuse_finished = seed_study;
    SeedSummary seeds;
    nlohmann::json out;
    for (const Experiment& v : variants) {
      if (seed_study) Q_EMIT log(QString("training seed %1").arg(static_cast<qulonglong>(v.training.seed)));
      ExperimentOutcome outcome = run_experiment(project, v, store, control);
      observer.flush();
      out = outcome.to_json();
      seeds.add(v.name, v.training.seed, out);
    }
    if (seed_study) out["seeds"] = seeds.to_json();
    out["database"] = store.path();
    Q_EMIT finished(out);
  } catch (const Cancelled&) {
    observer.flush();
    Q_EMIT cancelled();
  } catch (const std::exception& e) {
    observer.flush();
    Q_EMIT failed(error_text(e));
  }
}

void EngineWorker::summarize(const nlohmann::json& doc, int index, quint64 request) {
  try {
    if (!doc.contains("experiments") || index < 0 || index >= static_cast<int>(doc["experiments"].size()))
      throw ConfigError("no experiment selected");
    uint64_t seed = doc.value("seed", uint64_t{1});
    Experiment e = parse_experiment(doc["experiments"][index], "experiments[" + std::to_string(index) + "]", seed);
    torch::NoGradGuard no_grad;
    Network net{nullptr};
    DatasetShape shape = dataset_shape(e.dataset);
    if (!e.load.empty()) {
      net = load_network(e.load, shape.image_shape, shape.num_classes);  // a model used as it is
    } else {
      seed_everything(e.training.seed);
      net = build_network(e.model, shape.image_shape, shape.num_classes);
    }
    nlohmann::json s = faultscape::summarize(net).to_json();
    s["input_shape"] = net->input_shape();
    s["num_classes"] = net->num_classes();
    s["model"] = net->config().name;
    Q_EMIT summary_ready(request, s);
  } catch (const std::exception& e) {
    Q_EMIT summary_failed(request, error_text(e));
  }
}

}  // namespace faultscape::gui
