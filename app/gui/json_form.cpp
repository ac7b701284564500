#include "json_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleValidator>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QToolButton>
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
  for (const auto& x : v)
    parts << (x.is_string() ? QString::fromStdString(x.get<std::string>()) : QString::fromStdString(x.dump()));
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
    if (is_int)
      out.push_back(i);
    else if (is_real)
      out.push_back(d);
    else
      out.push_back(p.toStdString());
  }
  return out;
}

json choice_value(const QString& text) {
  bool is_int = false;
  const int i = text.toInt(&is_int);
  return is_int ? json(i) : json(text.toStdString());
}

bool is_path(T type) { return type == T::File || type == T::SaveFile || type == T::Directory; }

// Paths under the working directory stay relative (the project runs from there), others absolute.
QString portable_path(const QString& path) {
  const QString rel = QDir::current().relativeFilePath(path);
  return rel.startsWith("..") ? QDir::cleanPath(path) : rel;
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
    if (index)
      out += "[" + token + "]";
    else
      out += (out.isEmpty() ? "" : ".") + token;
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
  remove_unknown_ = new QPushButton;
  remove_unknown_->setObjectName("remove_unknown");
  remove_unknown_->setToolTip(tr("Delete these keys from the project (undo brings them back)"));
  remove_unknown_->hide();
  connect(remove_unknown_, &QPushButton::clicked, this, &JsonForm::remove_unknown_keys);
  box->addWidget(remove_unknown_, 0, Qt::AlignLeft);
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
    QWidget* placed = build_editor(row);
    row.error = new QLabel;
    row.error->setStyleSheet("color: #D55E00;");
    row.error->setWordWrap(true);
    row.error->hide();
    auto* cell = new QWidget;
    auto* v = new QVBoxLayout(cell);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(1);
    v->addWidget(placed);
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
      const QString what = on ? tr("Enable %1").arg(this->title()) : tr("Disable %1").arg(this->title());
      if (!on && remove_when_off_)
        doc_->remove(base_, what);
      else
        doc_->set(base_, on ? on_value_ : json(), what, false);
    });
  }
  connect(doc_, &ProjectDocument::changed, this, [this](const QString& pointer) {
    const QString base = QString::fromStdString(base_);
    if (pointer.startsWith(base) || base.startsWith(pointer)) load();
  });
  connect(doc_, &ProjectDocument::reloaded, this, &JsonForm::load);
}

QWidget* JsonForm::build_editor(Row& row) {
  const FieldSpec& s = row.spec;
  const std::string key = s.key;
  QWidget* placed = nullptr;
  switch (s.type) {
    case T::Choice: {
      auto* c = new QComboBox;
      c->addItems(s.choices);
      connect(c, &QComboBox::textActivated, this, [this, key](const QString& t) {
        if (Row* r = find_row(key)) write(*r, choice_value(t));
      });
      row.editor = c;
      break;
    }
    case T::Int: {
      auto* b = new QSpinBox;
      b->setRange(static_cast<int>(s.min), static_cast<int>(std::min(s.max, 2147483647.0)));
      b->setKeyboardTracking(false);
      b->setSpecialValueText(s.placeholder);  // what the minimum means, e.g. epochs 0 = "use as is"
      connect(b, &QSpinBox::valueChanged, this, [this, key](int v) {
        if (Row* r = find_row(key); r && !loading_) write(*r, v);
      });
      row.editor = b;
      break;
    }
    case T::Bool: {
      auto* b = new QCheckBox;
      connect(b, &QCheckBox::toggled, this, [this, key](bool v) {
        if (Row* r = find_row(key); r && !loading_) write(*r, v);
      });
      row.editor = b;
      break;
    }
    default: {
      auto* e = new QLineEdit;
      if (s.type == T::Real) e->setValidator(new QDoubleValidator(e));
      if (s.type == T::Seed) e->setValidator(new QRegularExpressionValidator(QRegularExpression("[0-9]{1,20}"), e));
      connect(e, &QLineEdit::editingFinished, this, [this, key] { commit_text(key); });
      row.editor = e;
      if (!s.placeholder.isEmpty())
        e->setPlaceholderText(s.placeholder);
      else if (s.type == T::List)
        e->setPlaceholderText(list_text(s.fallback).isEmpty() ? tr("(none)") : list_text(s.fallback));
      if (is_path(s.type)) placed = with_picker(row, e);
    }
  }
  row.editor->setToolTip(s.tooltip);
  row.editor->setObjectName(QString::fromStdString(key));
  return placed ? placed : row.editor;
}

// A line edit followed by a "…" button that opens a (non-native, non-blocking) file dialog.
QWidget* JsonForm::with_picker(Row& row, QLineEdit* edit) {
  auto* box = new QWidget;
  auto* h = new QHBoxLayout(box);
  h->setContentsMargins(0, 0, 0, 0);
  h->setSpacing(2);
  auto* pick = new QToolButton;
  pick->setText(QString::fromUtf8("…"));
  pick->setObjectName(QString::fromStdString(row.spec.key) + "_pick");
  pick->setToolTip(row.spec.type == T::Directory ? tr("Choose a directory") : tr("Choose a file"));
  const std::string key = row.spec.key;
  connect(pick, &QToolButton::clicked, this, [this, key] { pick_path(key); });
  h->addWidget(edit, 1);
  h->addWidget(pick);
  return box;
}

void JsonForm::pick_path(const std::string& key) {
  Row* r = find_row(key);
  if (!r) return;
  auto* edit = static_cast<QLineEdit*>(r->editor);
  auto* dialog = new QFileDialog(this, tr("%1: %2").arg(title(), r->spec.label));
  dialog->setObjectName("path_picker");
  dialog->setOption(QFileDialog::DontUseNativeDialog);  // the same dialog everywhere, and scriptable in tests
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  const QFileInfo current(edit->text().trimmed());
  if (!edit->text().trimmed().isEmpty()) dialog->setDirectory(current.isDir() ? current.filePath() : current.path());
  if (r->spec.type == T::Directory) {
    dialog->setFileMode(QFileDialog::Directory);
    dialog->setOption(QFileDialog::ShowDirsOnly);
  } else {
    dialog->setFileMode(r->spec.type == T::File ? QFileDialog::ExistingFile : QFileDialog::AnyFile);
    dialog->setAcceptMode(r->spec.type == T::File ? QFileDialog::AcceptOpen : QFileDialog::AcceptSave);
    if (!r->spec.choices.isEmpty()) dialog->setNameFilters(r->spec.choices);
  }
  connect(dialog, &QFileDialog::fileSelected, this, [this, key](const QString& path) {
    Row* r = find_row(key);
    if (!r || path.isEmpty()) return;
    static_cast<QLineEdit*>(r->editor)->setText(portable_path(path));
    commit_text(key);
  });
  dialog->open();  // window-modal, returns at once
}

// A text-like field was edited: the document gets the value it reads as (absent when emptied and
// the engine's default is "absent").
void JsonForm::commit_text(const std::string& key) {
  Row* r = find_row(key);
  if (!r || loading_) return;
  const QString t = static_cast<QLineEdit*>(r->editor)->text().trimmed();
  const json absent(json::value_t::discarded);
  const json emptied = r->spec.fallback.is_null() ? absent : r->spec.fallback;
  switch (r->spec.type) {
    case T::Real:
      write(*r, t.isEmpty() ? emptied : json(t.toDouble()));
      break;
    case T::Seed:
      write(*r, t.isEmpty() ? emptied : json(t.toULongLong()));
      break;
    case T::List:
      write(*r, parse_list(t, r->spec.fallback));
      break;
    case T::Json: {
      if (t.isEmpty()) {
        r->local_error.clear();
        write(*r, absent);
        break;
      }
      const json v = json::parse(t.toStdString(), nullptr, false);
      r->local_error = v.is_discarded() ? tr("not valid JSON; the project keeps its previous value") : QString();
      if (!v.is_discarded()) write(*r, v);
      show_row_errors(*r, engine_errors_.value(QString::fromStdString(key)));
      break;
    }
    default:
      write(*r, t.isEmpty() && r->spec.fallback.is_null() ? absent : json(t.toStdString()));
  }
}

JsonForm::Row* JsonForm::find_row(const std::string& key) {
  for (Row& r : rows_)
    if (r.spec.key == key) return &r;
  return nullptr;
}

void JsonForm::set_toggle(const json& on_value, bool remove_when_off) {
  on_value_ = on_value;
  remove_when_off_ = remove_when_off;
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
    case T::Json:
      static_cast<QLineEdit*>(row.editor)->setText(v.is_null() ? QString() : QString::fromStdString(v.dump()));
      row.local_error.clear();
      break;
    default:
      static_cast<QLineEdit*>(row.editor)->setText(scalar_text(v));
  }
}

void JsonForm::write(const Row& row, const json& value) {
  if (loading_ || !bound_) return;
  const QString what = tr("%1: %2").arg(title(), row.spec.label);
  if (value.is_discarded())
    doc_->remove(base_ + "/" + row.spec.key, what);
  else
    doc_->set(base_ + "/" + row.spec.key, value, what);
}

int JsonForm::show_problems(const QStringList& problems) {
  const QString prefix = problem_path(base_);
  QStringList section;
  QHash<QString, QStringList> by_key;
  for (const QString& p : problems) {
    if (!prefix.isEmpty() &&
        (!p.startsWith(prefix) || (p.size() > prefix.size() && p[prefix.size()] != '.' && p[prefix.size()] != ':')))
      continue;
    if (prefix.isEmpty() && p.startsWith("experiments")) continue;
    // The root object's problems have no prefix: "name: ..." reads as ".name: ...".
    QString rest = prefix.isEmpty() ? "." + p : p.mid(prefix.size());
    bool nested = false;
    for (const QString& n : nested_)
      nested = nested || (rest.startsWith("." + n) && QString(".:[").contains(rest.mid(n.size() + 1, 1)));
    if (nested) continue;
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
  engine_errors_ = by_key;
  for (Row& r : rows_) {
    const QStringList list = by_key.value(QString::fromStdString(r.spec.key));
    show_row_errors(r, list);
    count += list.size();
  }
  section_error_->setText(section.join("\n"));
  section_error_->setVisible(!section.isEmpty());
  // "typo: unknown key (did you mean ...)" names a key of this very object (no '.' or '[').
  unknown_keys_.clear();
  for (const QString& p : section) {
    const QString key = p.left(p.indexOf(':'));
    if (p.indexOf(": unknown key") == key.size() && !key.contains('.') && !key.contains('[')) unknown_keys_ << key;
  }
  remove_unknown_->setText(tr("Remove unknown key(s): %1").arg(unknown_keys_.join(", ")));
  remove_unknown_->setVisible(!unknown_keys_.isEmpty());
  return count;
}

void JsonForm::remove_unknown_keys() {
  if (unknown_keys_.isEmpty()) return;
  doc_->undo_stack()->beginMacro(tr("%1: remove unknown keys").arg(title()));
  for (QString key : unknown_keys_) doc_->remove(base_ + "/" + key.replace("~", "~0").replace("/", "~1").toStdString());
  doc_->undo_stack()->endMacro();
  unknown_keys_.clear();
  remove_unknown_->hide();
}

void JsonForm::show_row_errors(Row& r, const QStringList& engine) {
  QStringList all = engine;
  if (!r.local_error.isEmpty()) all.prepend(r.local_error);
  r.error->setText(all.join("\n"));
  r.error->setVisible(!all.isEmpty());
  r.editor->setStyleSheet(all.isEmpty() ? QString() : "border: 1px solid #D55E00;");
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
