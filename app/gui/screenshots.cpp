#include "screenshots.h"

#include <QApplication>
#include <QDir>
#include <QEventLoop>
#include <QPixmap>
#include <QTimer>

#include "fault_explorer.h"
#include "main_window.h"
#include "model_panel.h"
#include "plot_view.h"
#include "qcustomplot.h"

namespace faultscape::gui {

QStringList save_screenshots(MainWindow* window, const QString& dir) {
  QDir().mkpath(dir);
  QStringList written;
  for (const QString& name : window->view_names()) {
    window->show_view(name);
    if (auto* p = qobject_cast<widgets::PlotView*>(window->view(name))) {
      p->schedule_replot();
      p->plot()->replot(QCustomPlot::rpImmediateRefresh);
    }
    // The explorer opens its model when shown (training it when no run left one): wait for its
    // first explanation, or its error.
    if (auto* explorer = qobject_cast<FaultExplorer*>(window->view(name))) {
      QEventLoop wait;
      QTimer::singleShot(180000, &wait, &QEventLoop::quit);
      QObject::connect(explorer, &FaultExplorer::updated, &wait, &QEventLoop::quit);
      QObject::connect(explorer, &FaultExplorer::failed, &wait, &QEventLoop::quit);
      if (!explorer->is_open() || !explorer->result().is_object()) wait.exec();
    }
    // Let layouts settle and the queued replot land before grabbing.
    for (int i = 0; i < 5; ++i) QApplication::processEvents();
    QEventLoop loop;
    QTimer::singleShot(120, &loop, &QEventLoop::quit);
    loop.exec();
    const QString file = QDir(dir).filePath(name + ".png");
    if (window->grab().save(file)) written << file;
    if (name == "model") {
      // The training section and its optional objects (fault-aware training, ...) lie below the fold.
      window->model_panel()->scroll_to_training(true);
      QApplication::processEvents();
      const QString training = QDir(dir).filePath("model_training.png");
      if (window->grab().save(training)) written << training;
      window->model_panel()->scroll_to_training(false);
    }
  }
  return written;
}

void take_screenshots_when_ready(MainWindow* window, const QString& dir, void (MainWindow::*start)()) {
  auto shoot = [window, dir] {
    QStringList files = save_screenshots(window, dir);
    for (const QString& f : files) qInfo("screenshot %s", qPrintable(f));
    QApplication::exit(files.isEmpty() ? 1 : 0);
  };
  if (start) {
    QObject::connect(window, &MainWindow::run_ended, window,
                     [shoot](const QString&) { QTimer::singleShot(800, shoot); });
    QTimer::singleShot(1000, window, start);
  } else {
    QTimer::singleShot(2500, window, shoot);
  }
}

}  // namespace faultscape::gui
