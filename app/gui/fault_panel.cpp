#include "fault_panel.h"

#include <QHBoxLayout>
#include <QScrollArea>
#include <QVBoxLayout>

#include "json_form.h"
#include "project_document.h"
#include "protection_editor.h"

namespace faultscape::gui {

FaultPanel::FaultPanel(ProjectDocument* doc, QWidget* parent) : QWidget(parent) {
  faults_ = new JsonForm(tr("Fault model"), doc, fault_fields(), true);
  campaign_ = new JsonForm(tr("Campaign"), doc, campaign_fields(), true);
  protection_ = new ProtectionEditor(doc);

  // Three columns: what goes wrong, how it is measured, what protects against it.
  auto* inner = new QWidget;
  auto* row = new QHBoxLayout(inner);
  for (QWidget* w :
       {static_cast<QWidget*>(faults_), static_cast<QWidget*>(campaign_), static_cast<QWidget*>(protection_)}) {
    auto* col = new QVBoxLayout;
    col->addWidget(w);
    col->addStretch(1);
    row->addLayout(col, 1);
  }
  auto* scroll = new QScrollArea;
  scroll->setWidget(inner);
  scroll->setWidgetResizable(true);
  auto* box = new QVBoxLayout(this);
  box->setContentsMargins(0, 0, 0, 0);
  box->addWidget(scroll);
}

QList<JsonForm*> FaultPanel::forms() const { return {faults_, campaign_}; }

void FaultPanel::set_experiment(int index) {
  const std::string base = "/experiments/" + std::to_string(index);
  faults_->set_base(base + "/faults");
  campaign_->set_base(base + "/campaign");
  protection_->set_base(base + "/protection");
}

void FaultPanel::show_protection_problems(const QStringList& problems) { protection_->show_problems(problems); }

void FaultPanel::set_stage_names(const QStringList& names) {
  const QString hint = tr("Stages: %1").arg(names.join(", "));
  faults_->set_hint("layers", hint);
  protection_->set_stage_names(names);
}

}  // namespace faultscape::gui
