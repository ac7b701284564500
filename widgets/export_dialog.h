// Asks where to export a figure (base file name: .pdf, .png and .csv are added) and at which size
// and resolution; the last choices are remembered in QSettings.
#pragma once
#include <QDialog>

#include "plot_view.h"

class QLineEdit;
class QSpinBox;

namespace faultscape::widgets {

class ExportDialog : public QDialog {
  Q_OBJECT
 public:
  ExportDialog(const QString& stem, QWidget* parent = nullptr);
  QString base_path() const;
  ExportOptions options() const;
  void accept() override;

 private:
  QLineEdit* path_;
  QSpinBox *width_, *height_, *dpi_;
};

}  // namespace faultscape::widgets
