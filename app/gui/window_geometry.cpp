#include "window_geometry.h"

#include <QGuiApplication>
#include <QMainWindow>
#include <QScreen>
#include <QSettings>
#include <algorithm>

namespace faultscape::gui {

QRect first_launch_geometry(const QRect& available) {
  const int w = std::min(1920, available.width() * 9 / 10), h = std::min(1200, available.height() * 9 / 10);
  QRect r(0, 0, w, h);
  r.moveCenter(available.center());
  return r;
}

void restore_window(QMainWindow* window) {
  QSettings s;
  if (!window->restoreGeometry(s.value("window/geometry").toByteArray())) {
    const QScreen* screen = window->screen() ? window->screen() : QGuiApplication::primaryScreen();
    if (screen) window->setGeometry(first_launch_geometry(screen->availableGeometry()));
  }
  window->restoreState(s.value("window/state").toByteArray());
}

void save_window(const QMainWindow* window) {
  QSettings s;
  s.setValue("window/geometry", window->saveGeometry());
  s.setValue("window/state", window->saveState());
}

}  // namespace faultscape::gui
