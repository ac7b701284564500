// The engine on its own thread. An EngineWorker lives on a QThread; its slots run there (invoked
// through queued calls), so training, evaluation and campaigns never block the UI thread. Engine
// callbacks arrive through an Observer adapter that batches trial records (at most ~25 signals a
// second) and emits them as queued signals. cancel() may be called from any thread.
#pragma once
#include <nlohmann/json.hpp>

#include <QMetaType>
#include <QObject>
#include <QString>
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "common/observer.h"

Q_DECLARE_METATYPE(nlohmann::json)
Q_DECLARE_METATYPE(faultscape::RecordKind)

namespace faultscape::gui {

class EngineWorker : public QObject {
  Q_OBJECT
 public:
  explicit EngineWorker(QObject* parent = nullptr);
  // Asks the running job to stop at its next batch or trial; results so far stay in the database.
  // Also ends a pause. Any thread.
  void cancel();
  // Pause: the job blocks at its next progress report (between batches or trials) until resumed
  // or cancelled; nothing is lost. Any thread.
  void set_paused(bool paused);
  bool paused() const { return paused_; }
  // Worker thread: blocks while paused (after announcing it through log()).
  void wait_while_paused();

  // Runs one experiment of the project document (validated here), recording into its database.
  void run(const nlohmann::json& project, const QString& project_path, const QString& experiment, bool retrain);
  // Builds the experiment's model and measures its stages (one forward pass of a single image).
  void summarize(const nlohmann::json& project, int experiment_index, quint64 request);

 Q_SIGNALS:
  void started(const QString& experiment, const QString& database);
  void progress(const QString& phase, qint64 done, qint64 total, double elapsed_s, const QString& message);
  // A batch of records of one kind (common/records.h); trials arrive in batches, the rest one by one.
  void results(faultscape::RecordKind kind, const nlohmann::json& records);
  void log(const QString& line);
  void model_reused(const QString& model_path);  // no training: an earlier run's model is used
  void finished(const nlohmann::json& outcome);
  void cancelled();
  void failed(const QString& error);
  void summary_ready(quint64 request, const nlohmann::json& summary);
  void summary_failed(quint64 request, const QString& error);

 private:
  StopToken stop_;
  std::atomic<bool> paused_{false};
  std::mutex pause_mutex_;
  std::condition_variable pause_cv_;
};

}  // namespace faultscape::gui
