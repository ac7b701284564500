// The workbench's runs: the engine worker on its own thread, whether a run is going, and the queue
// of experiments still to run ("Run all"). The window connects the worker's typed signals to its
// views and asks the controller to start, queue, pause and cancel; the controller never touches a
// widget.
#pragma once
#include <nlohmann/json.hpp>

#include <QObject>
#include <QStringList>
#include <QThread>

namespace faultscape::gui {

class EngineWorker;

class RunController : public QObject {
  Q_OBJECT
 public:
  explicit RunController(QObject* parent = nullptr);
  ~RunController() override;  // cancels the running job and joins the engine thread

  // The worker, for connecting its signals (they arrive queued on the UI thread).
  EngineWorker* worker() const { return worker_; }
  // The engine thread, for other engine-side objects (the Fault explorer's worker).
  QThread* engine_thread() { return &thread_; }
  bool running() const { return running_; }

  // Runs one experiment of the document on the engine thread; false when a run is going.
  bool start(const nlohmann::json& doc, const QString& path, const QString& experiment, bool retrain);
  // Builds an experiment's model and measures its stages; answered by the worker's summary signals.
  void summarize(const nlohmann::json& doc, int experiment_index, quint64 request);

  // Experiments to run after the current one, in order.
  void set_queue(const QStringList& experiments) { queue_ = experiments; }
  // The next queued experiment (removed from the queue), or "" when none.
  QString take_next() { return queue_.isEmpty() ? QString() : queue_.takeFirst(); }
  void clear_queue() { queue_.clear(); }

  // Stops the queue and asks the running job to stop after its current batch; false when idle.
  bool cancel();
  void set_paused(bool paused);

 Q_SIGNALS:
  // After the worker's finished / cancelled / failed: how = "finished" (outcome: the run's
  // outcome) | "cancelled" | "failed" (outcome null). The queue is cleared unless finished.
  void run_ended(const QString& how, const nlohmann::json& outcome);

 private:
  QThread thread_;
  EngineWorker* worker_;
  bool running_ = false;
  QStringList queue_;
};

}  // namespace faultscape::gui
