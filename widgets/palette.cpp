#include "palette.h"

#include <array>

namespace faultscape::widgets {

QColor series_color(int i) {
  // Blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow, black.
  static const std::array<QColor, 8> colors = {QColor(0, 114, 178),  QColor(230, 159, 0),   QColor(0, 158, 115),
                                               QColor(213, 94, 0),   QColor(204, 121, 167), QColor(86, 180, 233),
                                               QColor(240, 228, 66), QColor(0, 0, 0)};
  return colors[static_cast<size_t>(((i % 8) + 8) % 8)];
}

QColor muted_color() { return QColor(150, 150, 150); }

}  // namespace faultscape::widgets
