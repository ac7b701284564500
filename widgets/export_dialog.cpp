#include "export_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>

namespace faultscape::widgets {

ExportDialog::ExportDialog(const QString& stem, QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Export figure"));
  QSettings s;
  auto* form = new QFormLayout(this);
  path_ = new QLineEdit(QDir(s.value("export/dir", QDir::currentPath()).toString()).filePath(stem));
  path_->setToolTip(tr("Base file name: the figure is written as .pdf and .png, its data as .csv"));
  auto* browse = new QPushButton(tr("Browse…"));
  connect(browse, &QPushButton::clicked, this, [this] {
    QString f = QFileDialog::getSaveFileName(this, tr("Export base name"), path_->text());
    QFileInfo fi(f);
    if (!f.isEmpty()) path_->setText(fi.path() + "/" + fi.completeBaseName());
  });
  auto* row = new QHBoxLayout;
  row->addWidget(path_, 1);
  row->addWidget(browse);
  form->addRow(tr("File"), row);
  auto spin = [&](int lo, int hi, const QString& key, int def, const QString& tip) {
    auto* b = new QSpinBox;
    b->setRange(lo, hi);
    b->setValue(s.value(key, def).toInt());
    b->setToolTip(tip);
    return b;
  };
  width_ = spin(200, 8000, "export/width", 800, tr("Figure width in pixels at 96 DPI (points in the PDF)"));
  height_ = spin(150, 8000, "export/height", 560, tr("Figure height in pixels at 96 DPI (points in the PDF)"));
  dpi_ = spin(72, 1200, "export/dpi", 150, tr("Resolution of the PNG"));
  form->addRow(tr("Width"), width_);
  form->addRow(tr("Height"), height_);
  form->addRow(tr("PNG DPI"), dpi_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  form->addRow(buttons);
}

QString ExportDialog::base_path() const { return path_->text(); }

ExportOptions ExportDialog::options() const { return {width_->value(), height_->value(), dpi_->value()}; }

void ExportDialog::accept() {
  QSettings s;
  s.setValue("export/dir", QFileInfo(base_path()).absolutePath());
  s.setValue("export/width", width_->value());
  s.setValue("export/height", height_->value());
  s.setValue("export/dpi", dpi_->value());
  QDialog::accept();
}

}  // namespace faultscape::widgets
