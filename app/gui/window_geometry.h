// Where the main window opens: the user's last size and place (QSettings), or on first launch
// most of the available screen, so every tab and the stage table's columns fit.
#pragma once
#include <QRect>

class QMainWindow;

namespace faultscape::gui {

// 90 % of the available area (at most 1920 x 1200), centred in it.
QRect first_launch_geometry(const QRect& available);

// Restores the saved geometry and dock layout; on first launch, sizes the window to its screen.
void restore_window(QMainWindow* window);
// Saves them for the next launch.
void save_window(const QMainWindow* window);

}  // namespace faultscape::gui
