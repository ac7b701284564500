// Start / cancel of the selected experiment, and how the running job is doing: phase, a progress
// bar, the estimated time left and the rate (faults or batches per second), and the engine's log.
#pragma once
#include <QElapsedTimer>
#include <QWidget>

class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace faultscape::gui {

class RunPanel : public QWidget {
  Q_OBJECT
 public:
  explicit RunPanel(QWidget* parent = nullptr);
  bool retrain() const;
  bool running() const { return running_; }
  QProgressBar* progress_bar() const { return bar_; }
  QString rate_text() const;
  QString eta_text() const;
  QString log_text() const;
  QPushButton* start_button() const { return start_; }
  QPushButton* cancel_button() const { return cancel_; }
  QPushButton* pause_button() const { return pause_; }

 public Q_SLOTS:
  // database empty: the run was only requested (the worker confirms with the database path).
  void on_started(const QString& experiment, const QString& database);
  void on_progress(const QString& phase, qint64 done, qint64 total, double elapsed_s, const QString& message);
  void append_log(const QString& line);
  // The job ended: "finished", "cancelled" or "failed".
  void on_ended(const QString& how);

 Q_SIGNALS:
  void start_requested();
  void cancel_requested();
  void pause_requested(bool paused);

 private:
  void set_running(bool running);

  bool running_ = false;
  QPushButton *start_, *cancel_, *pause_;
  QCheckBox* retrain_;
  QProgressBar* bar_;
  QLabel *phase_, *eta_, *rate_;
  QPlainTextEdit* log_;
};

// "1 h 02 min", "3 min 05 s", "12 s"
QString duration_text(double seconds);

}  // namespace faultscape::gui
