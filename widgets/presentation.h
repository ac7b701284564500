// Presentation mode, for projectors: larger fonts and thicker lines on every figure, on screen and
// in exports. One switch for the process (the project's "presentation" key, `--presentation`, the
// workbench's View menu); figures apply it on their next redraw.
#pragma once

class QCustomPlot;
class QWidget;

namespace faultscape::widgets {

void set_presentation(bool on);
bool presentation();
// Scales fonts and pen widths of a plot from its normal sizes (remembered on the first call), so
// switching back and forth never accumulates.
void apply_presentation(QCustomPlot* plot, bool on);
// Redraws every figure under `root` with the current setting.
void refresh_figures(QWidget* root);

}  // namespace faultscape::widgets
