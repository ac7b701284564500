#include "bit_word_view.h"

#include <QMouseEvent>
#include <QPainter>

#include "palette.h"

namespace faultscape::widgets {
namespace {

constexpr int kMargin = 4, kTop = 18, kCell = 18;

uint32_t field(const nlohmann::json& w, const char* key) { return w.value(key, uint32_t{0}); }

}  // namespace

BitWordView::BitWordView(QWidget* parent) : QWidget(parent) {
  setMouseTracking(true);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  setToolTip(tr("Click a bit to flip it in the stored word"));
}

void BitWordView::set_word(const nlohmann::json& word) {
  word_ = word.is_object() ? word : nlohmann::json();
  updateGeometry();
  update();
}

QSize BitWordView::sizeHint() const { return {2 * kMargin + std::max(16, bits()) * kCell, kTop + kCell + 40}; }
QSize BitWordView::minimumSizeHint() const { return {2 * kMargin + 16 * 10, kTop + kCell + 40}; }

QRect BitWordView::bit_rect(int bit) const {
  const int n = bits();
  if (bit < 0 || bit >= n) return {};
  const int cell = std::max(8, std::min(kCell, (width() - 2 * kMargin) / n));
  const int pos = n - 1 - bit;  // most significant bit on the left
  return {kMargin + pos * cell, kTop, cell - 1, kCell};
}

int BitWordView::bit_at(const QPoint& p) const {
  for (int b = 0; b < bits(); ++b)
    if (bit_rect(b).contains(p)) return b;
  return -1;
}

void BitWordView::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), palette().base());
  const int n = bits();
  if (n == 0) {
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(rect(), Qt::AlignCenter, tr("Pick one element or weight to see its stored word"));
    return;
  }
  const uint32_t before = field(word_, "before"), after = field(word_, "after");
  const uint32_t sign = field(word_, "sign_mask"), exponent = field(word_, "exponent_mask");
  const QString format = QString::fromStdString(word_.value("format", ""));
  const bool is_int = format.startsWith("int");
  painter.setPen(palette().color(QPalette::Text));
  painter.drawText(QRect(kMargin, 0, width(), kTop), Qt::AlignLeft | Qt::AlignVCenter,
                   is_int ? tr("%1: sign | magnitude (two's complement)").arg(format)
                          : tr("%1: sign | exponent | mantissa").arg(format));
  QFont mono("monospace");
  mono.setStyleHint(QFont::Monospace);
  mono.setPointSize(8);
  painter.setFont(mono);
  for (int b = 0; b < n; ++b) {
    const uint32_t m = 1u << b;
    const QColor c = (sign & m) ? series_color(5) : (exponent & m) ? series_color(1) : series_color(2);
    const QRect r = bit_rect(b);
    const bool one = (after & m) != 0;
    painter.fillRect(r, one ? c : c.lighter(170));
    const bool flipped = ((before ^ after) & m) != 0;
    painter.setPen(flipped ? QPen(Qt::black, 3) : QPen(c.darker(140), 1));
    painter.drawRect(r.adjusted(0, 0, -1, -1));
    painter.setPen(one ? Qt::white : Qt::black);
    painter.drawText(r, Qt::AlignCenter, one ? "1" : "0");
  }
  painter.setFont(font());
  painter.setPen(palette().color(QPalette::Text));
  const double vb = word_.value("value_before", 0.0), va = word_.value("value_after", 0.0);
  painter.drawText(QRect(kMargin, kTop + kCell + 4, width() - 2 * kMargin, 36), Qt::AlignLeft | Qt::AlignTop,
                   tr("before %1  =  %2\nafter  %3  =  %4")
                       .arg(bit_string(before, n, sign, exponent))
                       .arg(vb, 0, 'g', 8)
                       .arg(bit_string(after, n, sign, exponent))
                       .arg(va, 0, 'g', 8));
}

void BitWordView::mousePressEvent(QMouseEvent* event) {
  const int b = bit_at(event->position().toPoint());
  if (b >= 0) Q_EMIT bit_clicked(b);
}

QString bit_string(uint32_t word, int bits, uint32_t sign_mask, uint32_t exponent_mask) {
  QString s;
  for (int b = bits - 1; b >= 0; --b) {
    const uint32_t m = 1u << b;
    s += (word & m) ? '1' : '0';
    // A space after the sign and after the exponent field of a float format.
    const bool end_of_sign = (sign_mask & m) && exponent_mask != 0;
    const bool end_of_exponent = (exponent_mask & m) && b > 0 && !(exponent_mask & (m >> 1));
    if (b > 0 && (end_of_sign || end_of_exponent)) s += ' ';
  }
  return s;
}

}  // namespace faultscape::widgets
