#include "protection_editor.h"

#include <QColor>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QPushButton>
#include <QStackedWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include "json_form.h"
#include "project_document.h"

namespace faultscape::gui {
namespace {

using nlohmann::json;

const char* kErrorStyle = "color: #D55E00;";

QString scheme_of(const json& item) {
  if (item.is_object() && item.contains("scheme") && item["scheme"].is_string())
    return QString::fromStdString(item["scheme"].get<std::string>());
  return "?";
}

// "2. EDAC (channel duplication)  ratio=0.25, copies=3": the order and what is set explicitly.
QString item_text(int index, const json& item) {
  QStringList params;
  if (item.is_object())
    for (const auto& [key, value] : item.items())
      if (key != "scheme")
        params << QString::fromStdString(key + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
  QString text = QString("%1. %2").arg(index + 1).arg(protection_title(scheme_of(item)));
  if (!params.isEmpty()) text += "  " + params.join(", ");
  return text;
}

}  // namespace

ProtectionEditor::ProtectionEditor(ProjectDocument* doc, QWidget* parent)
    : QGroupBox(tr("Protection"), parent), doc_(doc) {
  setToolTip(
      tr("Protection schemes turn the network into a hardened one, applied in this order (each to the "
         "previous result), and report their overhead"));
  error_ = new QLabel;
  error_->setStyleSheet(kErrorStyle);
  error_->setWordWrap(true);
  error_->hide();

  list_ = new QListWidget;
  list_->setObjectName("protection_list");
  list_->setMaximumHeight(120);
  list_->setTextElideMode(Qt::ElideRight);  // the explicit parameters are also in the form below
  list_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  list_->setToolTip(toolTip());
  add_ = new QToolButton;
  add_->setText(tr("Add"));
  add_->setObjectName("protection_add");
  add_->setPopupMode(QToolButton::InstantPopup);
  add_->setToolButtonStyle(Qt::ToolButtonTextOnly);
  add_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  auto* menu = new QMenu(add_);
  menu->setToolTipsVisible(true);
  for (const QString& scheme : protection_schemes()) {
    QAction* a = menu->addAction(protection_title(scheme));
    a->setData(scheme);
    a->setToolTip(protection_tooltip(scheme));
    connect(a, &QAction::triggered, this, [this, scheme] { add_scheme(scheme); });
  }
  add_->setMenu(menu);
  remove_ = new QPushButton(tr("Remove"));
  up_ = new QPushButton(tr("Move up"));
  down_ = new QPushButton(tr("Move down"));
  remove_->setToolTip(tr("Remove the selected scheme"));
  up_->setToolTip(tr("Apply the selected scheme earlier (order matters: e.g. EDAC before TMR on the same layer)"));
  down_->setToolTip(tr("Apply the selected scheme later"));
  connect(remove_, &QPushButton::clicked, this, &ProtectionEditor::remove_selected);
  connect(up_, &QPushButton::clicked, this, [this] { move(-1); });
  connect(down_, &QPushButton::clicked, this, [this] { move(+1); });
  json_toggle_ = new QToolButton;
  json_toggle_->setText(tr("Edit as JSON"));
  json_toggle_->setCheckable(true);
  json_toggle_->setToolTip(tr("Edit the whole \"protection\" array as JSON text"));
  json_toggle_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  connect(json_toggle_, &QToolButton::toggled, this, &ProtectionEditor::set_json_mode);

  auto* buttons = new QVBoxLayout;
  buttons->setSpacing(2);
  for (QWidget* b : {static_cast<QWidget*>(add_), static_cast<QWidget*>(remove_), static_cast<QWidget*>(up_),
                     static_cast<QWidget*>(down_)})
    buttons->addWidget(b);
  buttons->addStretch(1);
  buttons->addWidget(json_toggle_);

  // Page 0: the list and the selected scheme's form; page 1: the array as JSON.
  auto* forms = new QWidget;
  auto* fcol = new QVBoxLayout(forms);
  fcol->setContentsMargins(0, 0, 0, 0);
  auto* top = new QHBoxLayout;
  top->addWidget(list_, 1);
  top->addLayout(buttons);
  fcol->addLayout(top);
  empty_hint_ = new QLabel(tr("No protection: the network runs as trained. Add a scheme to harden it."));
  empty_hint_->setWordWrap(true);
  fcol->addWidget(empty_hint_);
  form_box_ = new QVBoxLayout;
  fcol->addLayout(form_box_);
  fcol->addStretch(1);

  auto* text_page = new QWidget;
  auto* tcol = new QVBoxLayout(text_page);
  tcol->setContentsMargins(0, 0, 0, 0);
  json_ = new QPlainTextEdit;
  json_->setFont(QFont("monospace"));
  json_->setToolTip(tr("The experiment's \"protection\" array, e.g. [{\"scheme\": \"edac\", \"ratio\": 0.25}]"));
  apply_ = new QPushButton(tr("Apply"));
  apply_->setToolTip(tr("Check the JSON and store it in the project (undoable)"));
  connect(apply_, &QPushButton::clicked, this, &ProtectionEditor::apply_json);
  tcol->addWidget(json_, 1);
  tcol->addWidget(apply_, 0, Qt::AlignRight);

  pages_ = new QStackedWidget;
  pages_->addWidget(forms);
  pages_->addWidget(text_page);
  auto* col = new QVBoxLayout(this);
  col->addWidget(error_);
  col->addWidget(pages_, 1);
  // The JSON page keeps the toggle reachable.
  auto* back = new QToolButton;
  back->setText(tr("Back to forms"));
  connect(back, &QToolButton::clicked, json_toggle_, [this] { json_toggle_->setChecked(false); });
  tcol->insertWidget(0, back, 0, Qt::AlignLeft);

  connect(list_, &QListWidget::currentRowChanged, this, [this] {
    if (!loading_) update_form();
  });
  connect(doc_, &ProjectDocument::changed, this, [this](const QString& pointer) {
    const QString base = QString::fromStdString(base_);
    if (!base_.empty() && (pointer.startsWith(base) || base.startsWith(pointer))) load();
  });
  connect(doc_, &ProjectDocument::reloaded, this, &ProtectionEditor::load);
}

json ProtectionEditor::array() const { return base_.empty() ? json() : doc_->value(base_); }

void ProtectionEditor::set_base(const std::string& pointer) {
  base_ = pointer;
  problems_.clear();
  list_->clearSelection();
  load();
  if (list_->count() > 0) select(0);
}

void ProtectionEditor::load() {
  if (base_.empty()) return;
  const json a = array();
  const int keep = list_->currentRow();
  loading_ = true;
  list_->clear();
  if (a.is_array())
    for (size_t i = 0; i < a.size(); ++i) {
      auto* item = new QListWidgetItem(item_text(static_cast<int>(i), a[i]));
      item->setData(Qt::UserRole, scheme_of(a[i]));
      list_->addItem(item);
    }
  if (list_->count() > 0) list_->setCurrentRow(std::clamp(keep, 0, list_->count() - 1));
  loading_ = false;
  if (json_toggle_->isChecked()) json_->setPlainText(QString::fromStdString(a.is_null() ? "[]" : a.dump(2)));
  update_form();
  show_problems(problems_);
}

void ProtectionEditor::update_form() {
  const int row = list_->currentRow();
  remove_->setEnabled(row >= 0);
  up_->setEnabled(row > 0);
  down_->setEnabled(row >= 0 && row + 1 < list_->count());
  empty_hint_->setVisible(list_->count() == 0);
  const QString scheme = row >= 0 ? list_->item(row)->data(Qt::UserRole).toString() : QString();
  if (form_ && (row < 0 || scheme != form_scheme_)) {
    // Not deleted at once: this may run inside one of the old form's own signal handlers.
    form_box_->removeWidget(form_);
    form_->hide();
    form_->deleteLater();
    form_ = nullptr;
  }
  if (row < 0) return;
  if (!form_) {
    form_ = new JsonForm(protection_title(scheme), doc_, protection_fields(scheme), false);
    form_->setObjectName("protection_form");
    form_->setToolTip(protection_tooltip(scheme));
    form_scheme_ = scheme;
    if (!stage_names_.isEmpty()) form_->set_hint("layers", tr("Stages: %1").arg(stage_names_.join(", ")));
    form_box_->addWidget(form_);
  }
  form_->set_base(base_ + "/" + std::to_string(row));
  form_->show_problems(problems_);
}

void ProtectionEditor::select(int row) {
  if (row >= 0 && row < list_->count()) list_->setCurrentRow(row);
}

void ProtectionEditor::store(const json& a, const QString& what) { doc_->set(base_, a, what, /*merge=*/false); }

void ProtectionEditor::add_scheme(const QString& scheme) {
  json a = array();
  if (!a.is_array()) a = json::array();
  a.push_back({{"scheme", scheme.toStdString()}});
  store(a, tr("Add %1").arg(protection_title(scheme)));
  select(static_cast<int>(a.size()) - 1);
}

void ProtectionEditor::remove_selected() {
  json a = array();
  const int row = list_->currentRow();
  if (!a.is_array() || row < 0 || row >= static_cast<int>(a.size())) return;
  const QString what = tr("Remove %1").arg(protection_title(scheme_of(a[row])));
  a.erase(a.begin() + row);
  store(a, what);
  select(std::min(row, static_cast<int>(a.size()) - 1));
}

void ProtectionEditor::move(int delta) {
  json a = array();
  const int row = list_->currentRow(), to = row + delta;
  if (!a.is_array() || row < 0 || to < 0 || to >= static_cast<int>(a.size())) return;
  std::swap(a[row], a[to]);
  store(a, tr("Move %1 %2").arg(protection_title(scheme_of(a[to])), delta < 0 ? tr("up") : tr("down")));
  select(to);
}

void ProtectionEditor::set_json_mode(bool on) {
  if (on) {
    const json a = array();
    json_->setPlainText(QString::fromStdString(a.is_null() ? "[]" : a.dump(2)));
  }
  pages_->setCurrentIndex(on ? 1 : 0);
  show_problems(problems_);
}

void ProtectionEditor::apply_json() {
  const json v = json::parse(json_->toPlainText().toStdString(), nullptr, false, /*ignore_comments=*/true);
  if (v.is_discarded() || !v.is_array()) {
    error_->setText(tr("not a JSON list: expected [ {\"scheme\": ...}, ... ]"));
    error_->show();
    return;
  }
  store(v, tr("Edit protection as JSON"));
}

int ProtectionEditor::show_problems(const QStringList& problems) {
  problems_ = problems;
  const QString prefix = problem_path(base_);
  QStringList whole, all;
  QVector<QStringList> per_item(list_->count());
  for (const QString& p : problems) {
    if (prefix.isEmpty() || !p.startsWith(prefix)) continue;
    const QString rest = p.mid(prefix.size());
    if (rest.startsWith('[')) {
      bool ok = false;
      const int close = rest.indexOf(']');
      const int index = rest.mid(1, close - 1).toInt(&ok);
      if (!ok || close < 0) continue;
      if (index < per_item.size()) per_item[index] << rest.mid(close + 1).remove(QRegularExpression("^[.:]\\s*"));
      all << rest;
    } else if (rest.startsWith(':')) {
      whole << rest.mid(1).trimmed();
      all << rest.mid(1).trimmed();
    }
  }
  int count = whole.size();
  for (int i = 0; i < per_item.size(); ++i) {
    QListWidgetItem* item = list_->item(i);
    const QString tip = protection_tooltip(item->data(Qt::UserRole).toString());
    item->setToolTip(per_item[i].isEmpty() ? tip : tip + "\n" + per_item[i].join("\n"));
    item->setData(Qt::ForegroundRole, per_item[i].isEmpty() ? QVariant() : QVariant(QColor("#D55E00")));
    count += per_item[i].size();
  }
  if (form_) form_->show_problems(problems);
  const QStringList shown = json_toggle_->isChecked() ? all : whole;
  error_->setText(shown.join("\n"));
  error_->setVisible(!shown.isEmpty());
  return count;
}

QString ProtectionEditor::error_text() const { return error_->isHidden() ? QString() : error_->text(); }

void ProtectionEditor::set_stage_names(const QStringList& names) {
  stage_names_ = names;
  if (form_) form_->set_hint("layers", tr("Stages: %1").arg(names.join(", ")));
}

}  // namespace faultscape::gui
