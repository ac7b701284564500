// The Okabe-Ito palette: eight colours distinguishable with the common forms of colour blindness.
// Every plot draws its series from it, in this order, so a scheme keeps its colour across views.
#pragma once
#include <QColor>

namespace faultscape::widgets {

// i-th series colour (wraps around after eight).
QColor series_color(int i);
// Neutral grey for de-emphasised data (dominated points, individual trials).
QColor muted_color();

}  // namespace faultscape::widgets
