// Start / cancel of the selected experiment, and how the running job is doing: phase, a progress
// bar, the estimated time left and the rate (batches, faults or trials per second), and the
// engine's log.
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
  QPushButton* run_all_button() const { return run_all_; }
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
  void run_all_requested();
  void cancel_requested();
  void pause_requested(bool paused);

 private:
  void set_running(bool running);
  void show_format();

  bool running_ = false;
  QPushButton *start_, *run_all_, *cancel_, *pause_;
  QString format_;  // the progress bar's text, "paused — " prepended while paused
  QCheckBox* retrain_;
  QProgressBar* bar_;
  QLabel *phase_, *eta_, *rate_;
  QPlainTextEdit* log_;
};

// "1 h 02 min", "3 min 05 s", "12 s"
QString duration_text(double seconds);
// What a phase's progress counts per second: "batches/s" (train), "faults/s" (stuck-sweep: fault
// instances), "trials/s" (ber-sweep).
QString rate_unit(const QString& phase);

}  // namespace faultscape::gui
