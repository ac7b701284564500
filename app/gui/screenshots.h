// Screenshots of the real window for the documentation (run under Xvfb): every view is brought to
// the front in turn and the whole window grabbed into <dir>/<view>.png (plus model_training.png:
// the Model view scrolled to its training sections).
#pragma once
#include <QString>

namespace faultscape::gui {

class MainWindow;

// Writes one PNG per view and returns the paths (empty on failure to write any).
QStringList save_screenshots(MainWindow* window, const QString& dir);
// Saves the screenshots and quits the application: after `start` (a MainWindow slot starting a
// run, or null) has run to its end, or after the window settled when there is none.
void take_screenshots_when_ready(MainWindow* window, const QString& dir, void (MainWindow::*start)());

}  // namespace faultscape::gui
