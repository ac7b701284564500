#include "json_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleValidator>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpressionValidator>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include "project_document.h"

namespace faultscape::gui {
namespace {

using nlohmann::json;
using T = FieldSpec::Type;

QString list_text(const json& v) {
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  if (!v.is_array()) return {};
  QStringList parts;
  for (const auto& x : v) parts << (x.is_string() ? QString::fromStdString(x.get<std::string>()) : QString::fromStdString(x.dump()));
  return parts.join(", ");
}

// "1e-5, 2e-5" -> [1e-5, 2e-5]; "conv1, fc1" -> ["conv1", "fc1"]; a lone "auto" stays a string.
json parse_list(const QString& text, const json& fallback) {
  const QString t = text.trimmed();
  if (t.isEmpty()) return fallback;
  if (t == "auto") return "auto";
  json out = json::array();
  for (const QString& part : t.split(',', Qt::SkipEmptyParts)) {
    const QString p = part.trimmed();
    bool is_int = false, is_real = false;
    const qlonglong i = p.toLongLong(&is_int);
    const double d = p.toDouble(&is_real);
    if (is_int) out.push_back(i);
    else if (is_real) out.push_back(d);
    else out.push_back(p.toStdString());
  }
  return out;
}

json choice_value(const QString& text) {
  bool is_int = false;
  const int i = text.toInt(&is_int);
  return is_int ? json(i) : json(text.toStdString());
}

QString scalar_text(const json& v) {
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  if (v.is_null()) return {};
  return QString::fromStdString(v.dump());
}

}  // namespace

QString problem_path(const std::string& pointer) {
  QString out;
  for (const QString& token : QString::fromStdString(pointer).split('/', Qt::SkipEmptyParts)) {
    bool index = false;
    token.toInt(&index);
    if (index) out += "[" + token + "]";
    else out += (out.isEmpty() ? "" : ".") + token;
  }
  return out;
}

JsonForm::JsonForm(const QString& title, ProjectDocument* doc, std::vector<FieldSpec> fields, bool optional,
                   QWidget* parent)
    : QGroupBox(title, parent), doc_(doc), optional_(optional) {
  auto* box = new QVBoxLayout(this);
  section_error_ = new QLabel;
  section_error_->setStyleSheet("color: #D55E00;");
  section_error_->setWordWrap(true);
  section_error_->hide();
  box->addWidget(section_error_);
  form_ = new QFormLayout;
  form_->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  box->addLayout(form_);
  box->addStretch(1);
  for (FieldSpec& f : fields) {
    Row row;
    row.spec = std::move(f);
    rows_.push_back(std::move(row));
  }
  for (Row& row : rows_) {
    build_editor(row);
    row.error = new QLabel;
    row.error->setStyleSheet("color: #D55E00;");
    row.error->setWordWrap(true);
    row.error->hide();
    auto* cell = new QWidget;
    auto* v = new QVBoxLayout(cell);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(1);
    v->addWidget(row.editor);
    v->addWidget(row.error);
    auto* label = new QLabel(row.spec.label);
    label->setToolTip(row.spec.tooltip);
    form_->addRow(label, cell);
  }
  if (optional_) {
    setCheckable(true);
    setToolTip(tr("Unchecked: the experiment has no \"%1\" object").arg(title));
    connect(this, &QGroupBox::toggled, this, [this](bool on) {
      if (loading_) return;
      doc_->set(base_, on ? json::object() : json(), on ? tr("Enable %1").arg(this->title()) : tr("Disable %1").arg(this->title()));
    });
  }
  connect(doc_, &ProjectDocument::changed, this, [this](const QString& pointer) {
    const QString base = QString::fromStdString(base_);
    if (pointer.startsWith(base) || base.startsWith(pointer)) load();
  });
  connect(doc_, &ProjectDocument::reloaded, this, &JsonForm::load);
}

void JsonForm::build_editor(Row& row) {
  const FieldSpec& s = row.spec;
  const std::string key = s.key;
  switch (s.type) {
    case T::Choice: {
      auto* c = new QComboBox;
      c->addItems(s.choices);
      connect(c, &QComboBox::textActivated, this, [this, key](const QString& t) {
        for (const Row& r : rows_)
          if (r.spec.key == key) write(r, choice_value(t));
      });
      row.editor = c;
      break;
    }
    case T::Int: {
      auto* b = new QSpinBox;
      b->setRange(static_cast<int>(s.min), static_cast<int>(std::min(s.max, 2147483647.0)));
      b->setKeyboardTracking(false);
      connect(b, &QSpinBox::valueChanged, this, [this, key](int v) {
        for (const Row& r : rows_)
          if (r.spec.key == key && !loading_) write(r, v);
      });
      row.editor = b;
      break;
    }
    case T::Bool: {
      auto* b = new QCheckBox;
      connect(b, &QCheckBox::toggled, this, [this, key](bool v) {
        for (const Row& r : rows_)
          if (r.spec.key == key && !loading_) write(r, v);
      });
      row.editor = b;
      break;
    }
    default: {
      auto* e = new QLineEdit;
      if (s.type == T::Real) e->setValidator(new QDoubleValidator(e));
      if (s.type == T::Seed) e->setValidator(new QRegularExpressionValidator(QRegularExpression("[0-9]{1,20}"), e));
      const T type = s.type;
      connect(e, &QLineEdit::editingFinished, this, [this, key, e, type] {
        for (const Row& r : rows_) {
          if (r.spec.key != key || loading_) continue;
          const QString t = e->text().trimmed();
          if (type == T::Real) write(r, t.isEmpty() ? r.spec.fallback : json(t.toDouble()));
          else if (type == T::Seed) write(r, t.isEmpty() ? r.spec.fallback : json(t.toULongLong()));
          else if (type == T::List) write(r, parse_list(t, r.spec.fallback));
          else write(r, t.toStdString());
        }
      });
      row.editor = e;
      if (s.type == T::List) e->setPlaceholderText(list_text(s.fallback).isEmpty() ? tr("(none)") : list_text(s.fallback));
    }
  }
  row.editor->setToolTip(s.tooltip);
  row.editor->setObjectName(QString::fromStdString(key));
}

json JsonForm::object() const {
  json v = doc_->value(base_);
  return v.is_object() ? v : json::object();
}

void JsonForm::set_base(const std::string& pointer) {
  base_ = pointer;
  bound_ = true;
  load();
}

void JsonForm::load() {
  if (!bound_) return;
  loading_ = true;
  const json raw = doc_->value(base_);
  if (optional_) {
    setChecked(raw.is_object());
  }
  const json obj = raw.is_object() ? raw : json::object();
  for (Row& r : rows_) load_row(r, obj);
  loading_ = false;
}

void JsonForm::load_row(Row& row, const json& obj) {
  const json::json_pointer p("/" + row.spec.key);
  const json v = obj.contains(p) ? obj.at(p) : row.spec.fallback;
  QSignalBlocker block(row.editor);
  switch (row.spec.type) {
    case T::Choice: {
      auto* c = static_cast<QComboBox*>(row.editor);
      const QString t = scalar_text(v);
      if (c->findText(t) < 0) c->addItem(t);  // an unknown value stays visible (and is flagged)
      c->setCurrentText(t);
      break;
    }
    case T::Int:
      static_cast<QSpinBox*>(row.editor)->setValue(v.is_number() ? v.get<int>() : 0);
      break;
    case T::Bool:
      static_cast<QCheckBox*>(row.editor)->setChecked(v.is_boolean() && v.get<bool>());
      break;
    case T::List:
      static_cast<QLineEdit*>(row.editor)->setText(list_text(v));
      break;
    default:
      static_cast<QLineEdit*>(row.editor)->setText(scalar_text(v));
  }
}

void JsonForm::write(const Row& row, const json& value) {
  if (loading_ || !bound_) return;
  doc_->set(base_ + "/" + row.spec.key, value, tr("%1: %2").arg(title(), row.spec.label));
}

int JsonForm::show_problems(const QStringList& problems) {
  const QString prefix = problem_path(base_);
  QStringList section;
  QHash<QString, QStringList> by_key;
  for (const QString& p : problems) {
    if (!prefix.isEmpty() && (!p.startsWith(prefix) || (p.size() > prefix.size() && p[prefix.size()] != '.' &&
                                                         p[prefix.size()] != ':')))
      continue;
    if (prefix.isEmpty() && p.startsWith("experiments")) continue;
    // The root object's problems have no prefix: "name: ..." reads as ".name: ...".
    QString rest = prefix.isEmpty() ? "." + p : p.mid(prefix.size());
    bool matched = false;
    for (const Row& r : rows_) {
      const QString key = "." + QString::fromStdString(r.spec.key).replace('/', '.');
      if (rest.startsWith(key + ":") || rest.startsWith(key + "[")) {
        by_key[QString::fromStdString(r.spec.key)] << rest.mid(rest.indexOf(':') + 1).trimmed();
        matched = true;
      }
    }
    if (!matched) section << (rest.startsWith('.') ? rest.mid(1) : rest.mid(rest.indexOf(':') + 1).trimmed());
  }
  int count = section.size();
  for (Row& r : rows_) {
    const QStringList list = by_key.value(QString::fromStdString(r.spec.key));
    r.error->setText(list.join("\n"));
    r.error->setVisible(!list.isEmpty());
    r.editor->setStyleSheet(list.isEmpty() ? QString() : "border: 1px solid #D55E00;");
    count += list.size();
  }
  section_error_->setText(section.join("\n"));
  section_error_->setVisible(!section.isEmpty());
  return count;
}

QWidget* JsonForm::editor(const std::string& key) const {
  for (const Row& r : rows_)
    if (r.spec.key == key) return r.editor;
  return nullptr;
}

QString JsonForm::error_text(const std::string& key) const {
  for (const Row& r : rows_)
    if (r.spec.key == key) return r.error->isHidden() ? QString() : r.error->text();
  return {};
}

void JsonForm::set_hint(const std::string& key, const QString& hint) {
  for (Row& r : rows_)
    if (r.spec.key == key) r.editor->setToolTip(r.spec.tooltip + "\n" + hint);
}

}  // namespace faultscape::gui
