#include "fault_panel.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include "json_form.h"
#include "project_document.h"

namespace faultscape::gui {

FaultPanel::FaultPanel(ProjectDocument* doc, QWidget* parent) : QWidget(parent), doc_(doc) {
  faults_ = new JsonForm(tr("Fault model"), doc, fault_fields(), true);
  campaign_ = new JsonForm(tr("Campaign"), doc, campaign_fields(), true);
  auto* prot = new QGroupBox(tr("Protection"));
  auto* pcol = new QVBoxLayout(prot);
  auto* hint = new QLabel(tr("Protection schemes applied in order, as a JSON list (the project file's "
                             "\"protection\" array), e.g. [{\"scheme\": \"tmr\"}]."));
  hint->setWordWrap(true);
  protection_ = new QPlainTextEdit;
  protection_->setToolTip(tr("Schemes turn the network into a hardened one and report their overhead "
                             "(TMR, EDAC, ABFT, Ranger, ...; see the README)"));
  protection_->setFont(QFont("monospace"));
  protection_error_ = new QLabel;
  protection_error_->setStyleSheet("color: #D55E00;");
  protection_error_->setWordWrap(true);
  auto* apply = new QPushButton(tr("Apply"));
  apply->setToolTip(tr("Check the JSON and store it in the project (undoable)"));
  connect(apply, &QPushButton::clicked, this, &FaultPanel::apply_protection);
  pcol->addWidget(hint);
  pcol->addWidget(protection_, 1);
  pcol->addWidget(protection_error_);
  pcol->addWidget(apply, 0, Qt::AlignRight);

  auto* inner = new QWidget;
  auto* grid = new QHBoxLayout(inner);
  grid->addWidget(faults_, 1);
  auto* right = new QVBoxLayout;
  right->addWidget(campaign_);
  right->addWidget(prot, 1);
  grid->addLayout(right, 1);
  auto* scroll = new QScrollArea;
  scroll->setWidget(inner);
  scroll->setWidgetResizable(true);
  auto* box = new QVBoxLayout(this);
  box->setContentsMargins(0, 0, 0, 0);
  box->addWidget(scroll);
  connect(doc_, &ProjectDocument::changed, this, [this](const QString& p) {
    if (index_ >= 0 && (p == "/experiments" || p.startsWith(QString("/experiments/%1").arg(index_)))) load_protection();
  });
  connect(doc_, &ProjectDocument::reloaded, this, &FaultPanel::load_protection);
}

QList<JsonForm*> FaultPanel::forms() const { return {faults_, campaign_}; }

void FaultPanel::set_experiment(int index) {
  index_ = index;
  const std::string base = "/experiments/" + std::to_string(index);
  faults_->set_base(base + "/faults");
  campaign_->set_base(base + "/campaign");
  load_protection();
}

void FaultPanel::load_protection() {
  if (index_ < 0) return;
  nlohmann::json v = doc_->value("/experiments/" + std::to_string(index_) + "/protection");
  protection_->setPlainText(QString::fromStdString(v.is_null() ? "[]" : v.dump(2)));
  protection_error_->clear();
}

void FaultPanel::apply_protection() {
  nlohmann::json v = nlohmann::json::parse(protection_->toPlainText().toStdString(), nullptr, false, true);
  if (v.is_discarded() || !v.is_array()) {
    protection_error_->setText(tr("not a JSON list: expected [ {...}, ... ]"));
    return;
  }
  protection_error_->clear();
  doc_->set("/experiments/" + std::to_string(index_) + "/protection", v, tr("Edit protection"));
}

void FaultPanel::show_protection_problems(const QStringList& problems) {
  const QString prefix = QString("experiments[%1].protection").arg(index_);
  QStringList mine;
  for (const QString& p : problems)
    if (p.startsWith(prefix)) mine << p.mid(prefix.size()).remove(0, p.mid(prefix.size()).startsWith(':') ? 1 : 0).trimmed();
  if (!mine.isEmpty()) protection_error_->setText(mine.join("\n"));
}

}  // namespace faultscape::gui
