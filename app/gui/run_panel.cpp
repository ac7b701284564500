#include "run_panel.h"

#include <QCheckBox>
#include <QDateTime>
#include <QGridLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <cmath>

namespace faultscape::gui {

QString duration_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const qint64 t = static_cast<qint64>(std::llround(s));
  if (t >= 3600) return QString("%1 h %2 min").arg(t / 3600).arg((t % 3600) / 60, 2, 10, QChar('0'));
  if (t >= 60) return QString("%1 min %2 s").arg(t / 60).arg(t % 60, 2, 10, QChar('0'));
  return QString("%1 s").arg(t);
}

QString rate_unit(const QString& phase) {
  if (phase == "train") return RunPanel::tr("batches/s");
  if (phase == "stuck-sweep") return RunPanel::tr("faults/s");
  if (phase == "ber-sweep") return RunPanel::tr("trials/s");
  return RunPanel::tr("steps/s");
}

RunPanel::RunPanel(QWidget* parent) : QWidget(parent) {
  auto* grid = new QGridLayout(this);
  start_ = new QPushButton(tr("Start"));
  start_->setToolTip(tr("Run the selected experiment: train (or reuse) its model, evaluate, run its campaign (F5)"));
  start_->setObjectName("start");
  run_all_ = new QPushButton(tr("Run all"));
  run_all_->setToolTip(tr("Run every experiment of the project in turn (Ctrl+F5)"));
  run_all_->setObjectName("run_all");
  cancel_ = new QPushButton(tr("Cancel"));
  cancel_->setToolTip(tr("Stop after the current batch or trial; everything measured so far stays in the database"));
  cancel_->setObjectName("cancel");
  pause_ = new QPushButton(tr("Pause"));
  pause_->setCheckable(true);
  pause_->setToolTip(tr("Hold the engine after the current batch or trial; press again to resume"));
  pause_->setObjectName("pause");
  retrain_ = new QCheckBox(tr("Retrain"));
  retrain_->setToolTip(tr("Train again even if an identical earlier run left its model (CLI: run --retrain)"));
  bar_ = new QProgressBar;
  bar_->setRange(0, 1000);
  bar_->setValue(0);
  bar_->setTextVisible(true);
  bar_->setFormat("");
  phase_ = new QLabel(tr("idle"));
  eta_ = new QLabel;
  rate_ = new QLabel;
  for (QLabel* l : {eta_, rate_}) l->setMinimumWidth(140);
  log_ = new QPlainTextEdit;
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(2000);
  log_->setMaximumHeight(90);
  grid->addWidget(start_, 0, 0);
  grid->addWidget(run_all_, 0, 1);
  grid->addWidget(cancel_, 0, 2);
  grid->addWidget(pause_, 0, 3);
  grid->addWidget(retrain_, 0, 4);
  grid->addWidget(bar_, 0, 5);
  grid->addWidget(eta_, 0, 6);
  grid->addWidget(rate_, 0, 7);
  grid->addWidget(phase_, 1, 0, 1, 8);
  grid->addWidget(log_, 2, 0, 1, 8);
  grid->setColumnStretch(5, 1);
  connect(start_, &QPushButton::clicked, this, &RunPanel::start_requested);
  connect(run_all_, &QPushButton::clicked, this, &RunPanel::run_all_requested);
  connect(cancel_, &QPushButton::clicked, this, &RunPanel::cancel_requested);
  connect(pause_, &QPushButton::toggled, this, [this](bool on) {
    pause_->setText(on ? tr("Resume") : tr("Pause"));
    show_format();
    Q_EMIT pause_requested(on);
  });
  set_running(false);
}

bool RunPanel::retrain() const { return retrain_->isChecked(); }
QString RunPanel::rate_text() const { return rate_->text(); }
QString RunPanel::eta_text() const { return eta_->text(); }
QString RunPanel::log_text() const { return log_->toPlainText(); }

void RunPanel::set_running(bool running) {
  running_ = running;
  start_->setEnabled(!running);
  run_all_->setEnabled(!running);
  cancel_->setEnabled(running);
  pause_->setEnabled(running);
  if (!running) {
    QSignalBlocker block(pause_);
    pause_->setChecked(false);
    pause_->setText(tr("Pause"));
  }
  show_format();
}

void RunPanel::show_format() {
  const bool paused = running_ && pause_->isChecked();
  bar_->setFormat(paused ? tr("paused — %1").arg(format_.isEmpty() ? tr("waiting") : format_) : format_);
  // A paused bar is drawn disabled (greyed) on every style, besides its text.
  bar_->setEnabled(!paused);
}

void RunPanel::on_started(const QString& experiment, const QString& database) {
  bar_->setValue(0);
  format_.clear();
  eta_->clear();
  rate_->clear();
  set_running(true);
  phase_->setText(tr("running %1").arg(experiment));
  if (!database.isEmpty()) append_log(tr("experiment %1, results in %2").arg(experiment, database));
}

void RunPanel::on_progress(const QString& phase, qint64 done, qint64 total, double elapsed, const QString& message) {
  if (!running_) set_running(true);
  const double fraction = total > 0 ? static_cast<double>(done) / total : 0;
  bar_->setValue(static_cast<int>(fraction * 1000));
  format_ = QString("%1: %2 / %3").arg(phase).arg(done).arg(total);
  show_format();
  phase_->setText(QString("%1 — %2").arg(phase, message));
  const double rate = elapsed > 0 ? done / elapsed : 0;
  rate_->setText(rate > 0 ? QString("%1 %2").arg(rate, 0, 'f', rate < 10 ? 2 : 0).arg(rate_unit(phase)) : QString());
  eta_->setText(rate > 0 && total > 0 ? tr("ETA %1").arg(duration_text((total - done) / rate)) : QString());
}

void RunPanel::append_log(const QString& line) {
  log_->appendPlainText(QDateTime::currentDateTime().toString("HH:mm:ss ") + line);
}

void RunPanel::on_ended(const QString& how) {
  set_running(false);
  if (how == "finished") bar_->setValue(bar_->maximum());
  // Nothing is running: no time left to estimate, no rate to report.
  eta_->clear();
  rate_->clear();
  phase_->setText(how);
  append_log(how);
}

}  // namespace faultscape::gui
