#include "presentation.h"

#include <qcustomplot.h>

#include "plot_view.h"

namespace faultscape::widgets {
namespace {

bool g_presentation = false;
constexpr double kFontScale = 1.6, kLineScale = 2.2;

// The normal value of a property of `o`, remembered under `key` the first time it is seen.
double base_value(QObject* o, const char* key, double current) {
  const QVariant v = o->property(key);
  if (v.isValid()) return v.toDouble();
  o->setProperty(key, current);
  return current;
}

QFont scaled(QObject* o, const char* key, QFont font, bool on) {
  const double base = base_value(o, key, font.pointSizeF() > 0 ? font.pointSizeF() : 9.0);
  font.setPointSizeF(on ? base * kFontScale : base);
  return font;
}

QPen widened(QObject* o, const char* key, QPen pen, bool on) {
  const double base = base_value(o, key, pen.widthF());
  pen.setWidthF(on ? std::max(2.5, base * kLineScale) : base);
  return pen;
}

}  // namespace

void set_presentation(bool on) { g_presentation = on; }
bool presentation() { return g_presentation; }

void apply_presentation(QCustomPlot* plot, bool on) {
  if (!plot) return;
  for (QCPAxisRect* rect : plot->axisRects())
    for (QCPAxis* a : rect->axes()) {
      a->setLabelFont(scaled(a, "fs_label", a->labelFont(), on));
      a->setTickLabelFont(scaled(a, "fs_ticks", a->tickLabelFont(), on));
      a->setBasePen(widened(a, "fs_base_pen", a->basePen(), on));
    }
  for (int i = 0; i < plot->plottableCount(); ++i) {
    QCPAbstractPlottable* p = plot->plottable(i);
    if (qobject_cast<QCPColorMap*>(p) || qobject_cast<QCPBars*>(p)) continue;  // areas, no lines
    p->setPen(widened(p, "fs_pen", p->pen(), on));
    if (auto* g = qobject_cast<QCPGraph*>(p)) {
      QCPScatterStyle s = g->scatterStyle();
      const double base = base_value(g, "fs_scatter", s.size());
      s.setSize(on ? base * 1.5 : base);
      g->setScatterStyle(s);
    }
  }
  for (QCPLayoutElement* e : plot->plotLayout()->elements(true))
    if (auto* t = qobject_cast<QCPTextElement*>(e)) t->setFont(scaled(t, "fs_font", t->font(), on));
  if (plot->legend) plot->legend->setFont(scaled(plot->legend, "fs_font", plot->legend->font(), on));
  for (int i = 0; i < plot->itemCount(); ++i)
    if (auto* t = qobject_cast<QCPItemText*>(plot->item(i))) t->setFont(scaled(t, "fs_font", t->font(), on));
}

void refresh_figures(QWidget* root) {
  if (!root) return;
  for (PlotView* v : root->findChildren<PlotView*>()) v->schedule_replot();
  if (auto* v = qobject_cast<PlotView*>(root)) v->schedule_replot();
}

}  // namespace faultscape::widgets
