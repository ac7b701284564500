#include "plot_view.h"

#include <qcustomplot.h>

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QToolTip>
#include <QVBoxLayout>

#include "export_dialog.h"
#include "presentation.h"

namespace faultscape::widgets {

PlotView::PlotView(const QString& title, QWidget* parent)
    : QWidget(parent), title_(title), plot_(new QCustomPlot(this)) {
  box_ = new QVBoxLayout(this);
  box_->setContentsMargins(2, 2, 2, 2);
  box_->addWidget(plot_, 1);
  // Queued replots coalesce in QCustomPlot too; the timer bounds the rate to 25 Hz.
  timer_.setSingleShot(true);
  timer_.setInterval(40);
  connect(&timer_, &QTimer::timeout, this, &PlotView::redraw_now);
  plot_->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(plot_, &QWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
    QMenu menu;
    menu.addAction(tr("Export figure and data…"), this, &PlotView::export_interactively);
    menu.addAction(tr("Reset zoom"), this, [this] {
      refresh();
      plot_->rescaleAxes();
      plot_->replot();
    });
    menu.exec(plot_->mapToGlobal(pos));
  });
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  connect(plot_, &QCustomPlot::mouseMove, this, &PlotView::show_hover);
  connect(plot_, &QCustomPlot::afterReplot, this, [this] {
    ++replots_;
    Q_EMIT replotted();
  });
}

void PlotView::schedule_replot() {
  if (!timer_.isActive()) timer_.start();
}

void PlotView::set_empty_text(const QString& text) {
  if (!empty_) {
    empty_ = new QCPItemText(plot_);
    empty_->position->setType(QCPItemPosition::ptAxisRectRatio);
    empty_->position->setCoords(0.5, 0.5);
    empty_->setColor(QColor(120, 120, 120));
    empty_->setClipToAxisRect(false);
  }
  empty_->setText(text);
  schedule_replot();
}

QString PlotView::empty_text() const { return empty_ ? empty_->text() : QString(); }

void PlotView::set_legend_allowed(bool allowed) {
  legend_allowed_ = allowed;
  schedule_replot();
}

void PlotView::show_state() {
  const bool empty = point_count() == 0;
  if (empty_) empty_->setVisible(empty);
  plot_->legend->setVisible(legend_allowed_ && !empty && plot_->legend->itemCount() > 0);
}

void PlotView::redraw_now() {
  refresh();
  show_state();
  apply_presentation(plot_, presentation());
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void PlotView::show_hover(QMouseEvent* event) {
  QCPAbstractPlottable* best = nullptr;
  int index = -1;
  double best_distance = 8;  // pixels
  for (int i = 0; i < plot_->plottableCount(); ++i) {
    QCPAbstractPlottable* p = plot_->plottable(i);
    if (!p->visible()) continue;
    QVariant details;
    double d = p->selectTest(event->pos(), false, &details);
    if (d >= 0 && d < best_distance) {
      QCPDataSelection sel = details.value<QCPDataSelection>();
      // A colour map has no data points; its subclass locates the cell from the mouse.
      const bool map = qobject_cast<QCPColorMap*>(p) != nullptr;
      if (sel.isEmpty() && !map) continue;
      best = p;
      index = map ? 0 : sel.dataRange().begin();
      best_distance = d;
    }
  }
  QString text = best ? hover_text(best, index) : QString();
  if (text.isEmpty())
    QToolTip::hideText();
  else
    QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
}

QStringList PlotView::export_figure(const QString& base, const ExportOptions& o, QString* error) {
  refresh();
  show_state();
  apply_presentation(plot_, presentation());
  plot_->replot(QCustomPlot::rpImmediateRefresh);
  QDir().mkpath(QFileInfo(base).absolutePath());
  const QString pdf = base + ".pdf", png = base + ".png", csv = base + ".csv";
  if (!plot_->savePdf(pdf, o.width, o.height, QCP::epNoCosmetic, "Faultscape", title_)) {
    if (error) *error = pdf + ": cannot write the PDF";
    return {};
  }
  if (!plot_->savePng(png, o.width, o.height, o.dpi / 96.0, -1, o.dpi)) {
    if (error) *error = png + ": cannot write the PNG";
    return {};
  }
  if (!table().write(csv, error)) return {};
  return {pdf, png, csv};
}

void PlotView::export_interactively() {
  ExportDialog dialog(stem(), this);
  if (dialog.exec() != QDialog::Accepted) return;
  QString error;
  QStringList files = export_figure(dialog.base_path(), dialog.options(), &error);
  if (files.isEmpty()) QMessageBox::warning(this, tr("Export failed"), error);
}

void style_plot(QCustomPlot* plot, const QString& title, const QString& x_label, const QString& y_label) {
  if (plot->plotLayout()->rowCount() == 1) {
    plot->plotLayout()->insertRow(0);
    auto* t = new QCPTextElement(plot, title, QFont(plot->font().family(), 11, QFont::Bold));
    plot->plotLayout()->addElement(0, 0, t);
  }
  plot->xAxis->setLabel(x_label);
  plot->yAxis->setLabel(y_label);
  for (QCPAxis* a : {plot->xAxis, plot->yAxis}) {
    a->grid()->setPen(QPen(QColor(220, 220, 220), 0, Qt::DotLine));
    a->grid()->setSubGridVisible(false);
  }
  plot->legend->setVisible(false);  // shown once something is plotted (PlotView::show_state)
  plot->legend->setFont(QFont(plot->font().family(), 8));
  plot->legend->setBrush(QColor(255, 255, 255, 220));
  plot->legend->setBorderPen(QPen(QColor(200, 200, 200)));
}

}  // namespace faultscape::widgets
