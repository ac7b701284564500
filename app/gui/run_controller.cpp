#include "run_controller.h"

#include "engine_worker.h"

namespace faultscape::gui {

RunController::RunController(QObject* parent) : QObject(parent), worker_(new EngineWorker) {
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  thread_.setObjectName("engine");
  thread_.start();
  // Registered before any window connection, so running() is already false when they see the end.
  connect(worker_, &EngineWorker::finished, this, [this](const nlohmann::json& outcome) {
    running_ = false;
    Q_EMIT run_ended("finished", outcome);
  });
  connect(worker_, &EngineWorker::cancelled, this, [this] {
    running_ = false;
    queue_.clear();
    Q_EMIT run_ended("cancelled", nullptr);
  });
  connect(worker_, &EngineWorker::failed, this, [this] {
    running_ = false;
    queue_.clear();
    Q_EMIT run_ended("failed", nullptr);
  });
}

RunController::~RunController() {
  worker_->cancel();
  thread_.quit();
  thread_.wait();
}

bool RunController::start(const nlohmann::json& doc, const QString& path, const QString& experiment, bool retrain) {
  if (running_) return false;
  running_ = true;
  EngineWorker* w = worker_;
  QMetaObject::invokeMethod(
      worker_, [w, doc, path, experiment, retrain] { w->run(doc, path, experiment, retrain); }, Qt::QueuedConnection);
  return true;
}

void RunController::summarize(const nlohmann::json& doc, int experiment_index, quint64 request) {
  EngineWorker* w = worker_;
  QMetaObject::invokeMethod(
      worker_, [w, doc, experiment_index, request] { w->summarize(doc, experiment_index, request); },
      Qt::QueuedConnection);
}

bool RunController::cancel() {
  queue_.clear();
  if (!running_) return false;
  worker_->cancel();
  return true;
}

void RunController::set_paused(bool paused) { worker_->set_paused(paused); }

}  // namespace faultscape::gui
