#include "no_project_page.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace faultscape::gui {

NoProjectPage::NoProjectPage(QWidget* parent) : QWidget(parent) {
  auto* heading = new QLabel(tr("<h2>No project is open</h2>"));
  heading->setAlignment(Qt::AlignCenter);
  reason_ = new QLabel;
  reason_->setObjectName("no_project_reason");
  reason_->setWordWrap(true);
  reason_->setAlignment(Qt::AlignCenter);
  reason_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  reason_->setStyleSheet("color: #D55E00;");
  auto* hint = new QLabel(tr("Create a project (File ▸ New project, Ctrl+N) or open one (File ▸ Open, Ctrl+O)."));
  hint->setAlignment(Qt::AlignCenter);
  auto* make = new QPushButton(tr("New project"));
  make->setObjectName("new_project");
  auto* open = new QPushButton(tr("Open…"));
  open->setObjectName("open_project");
  connect(make, &QPushButton::clicked, this, &NoProjectPage::new_requested);
  connect(open, &QPushButton::clicked, this, &NoProjectPage::open_requested);
  auto* buttons = new QHBoxLayout;
  buttons->addStretch(1);
  buttons->addWidget(make);
  buttons->addWidget(open);
  buttons->addStretch(1);
  auto* box = new QVBoxLayout(this);
  box->addStretch(1);
  box->addWidget(heading);
  box->addWidget(reason_);
  box->addWidget(hint);
  box->addLayout(buttons);
  box->addStretch(2);
}

void NoProjectPage::set_reason(const QString& reason) {
  reason_->setText(reason);
  reason_->setVisible(!reason.isEmpty());
}

QString NoProjectPage::text() const { return reason_->text(); }

}  // namespace faultscape::gui
