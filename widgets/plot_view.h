// Base of every live figure: a QCustomPlot that subclasses feed in batches, redrawn by a timer at
// most ~25 times a second (however fast results arrive), hover tool tips, and export of the figure
// (PDF, PNG at a chosen size and DPI) together with the CSV of exactly the plotted data.
#pragma once
#include <QTimer>
#include <QWidget>

#include "csv_table.h"

class QCustomPlot;
class QCPAbstractPlottable;
class QCPItemText;
class QVBoxLayout;

namespace faultscape::widgets {

struct ExportOptions {
  int width = 800;  // figure size in pixels at 96 DPI (PDF: points)
  int height = 560;
  int dpi = 150;  // PNG resolution; the PNG is width*dpi/96 pixels wide
};

class PlotView : public QWidget {
  Q_OBJECT
 public:
  explicit PlotView(const QString& title, QWidget* parent = nullptr);

  QCustomPlot* plot() const { return plot_; }
  QString title() const { return title_; }
  // Short file-name stem for exports ("ber", "heatmap", ...).
  virtual QString stem() const = 0;
  // Forgets every point.
  virtual void clear() = 0;
  // Exactly what is plotted, one row per point.
  virtual CsvTable table() const = 0;
  // Points currently plotted (tests, status lines).
  virtual int point_count() const = 0;

  // Writes <base>.pdf, <base>.png and <base>.csv; returns the written paths, or an empty list with
  // *error set.
  QStringList export_figure(const QString& base, const ExportOptions& options = {}, QString* error = nullptr);
  int replots() const { return replots_; }
  // What the figure says while it is empty.
  QString empty_text() const;

 public Q_SLOTS:
  // Marks the figure stale; the next timer tick (<= 25 Hz) pushes pending data and redraws.
  void schedule_replot();
  // Asks for a base file name and size, then exports.
  void export_interactively();

 Q_SIGNALS:
  void replotted();

 protected:
  // Push accumulated data into the plottables and adjust axes; runs just before a redraw.
  virtual void refresh() {}
  // Text for the data point `index` of `plottable` under the mouse; empty for none.
  virtual QString hover_text(QCPAbstractPlottable* /*plottable*/, int /*index*/) const { return {}; }
  QVBoxLayout* layout_box() const { return box_; }  // subclasses may add controls above the plot
  // What an empty figure says in its middle ("No stuck-sweep trials yet ...").
  void set_empty_text(const QString& text);
  // A figure without a legend (the heat map has a colour scale instead). Others show theirs only
  // once something is plotted: an empty figure has no blank legend box.
  void set_legend_allowed(bool allowed);

 private:
  void redraw_now();
  void show_state();  // the empty text or the legend, whichever applies now
  void show_hover(QMouseEvent* event);

  QString title_;
  QCustomPlot* plot_;
  QVBoxLayout* box_;
  QTimer timer_;
  int replots_ = 0;
  QCPItemText* empty_ = nullptr;
  bool legend_allowed_ = true;
};

// Common axis styling: title, labels, light grid, legend in a corner.
void style_plot(QCustomPlot* plot, const QString& title, const QString& x_label, const QString& y_label);

}  // namespace faultscape::widgets
