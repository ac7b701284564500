// A form editing one object of the project document (e.g. /experiments/0/faults) through
// FieldSpecs: every change is an undoable document edit, the form follows undo / redo and
// external edits, and validation problems appear inline under the field they concern. Path fields
// carry a "…" button opening a file dialog.
#pragma once
#include <QGroupBox>
#include <QHash>
#include <vector>

#include "field_spec.h"

class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;

namespace faultscape::gui {

class ProjectDocument;

class JsonForm : public QGroupBox {
  Q_OBJECT
 public:
  // optional: the object may be absent / null; a check box in the title creates or removes it.
  JsonForm(const QString& title, ProjectDocument* doc, std::vector<FieldSpec> fields, bool optional,
           QWidget* parent = nullptr);

  // Points the form at another object ("/experiments/1/model") and reloads it.
  void set_base(const std::string& pointer);
  const std::string& base() const { return base_; }
  // Reloads every field from the document.
  void load();
  // Shows the problems ("experiments[0].faults.kind: ...") that concern this object; returns how many.
  int show_problems(const QStringList& problems);
  // The editor widget of a key (tests); nullptr when unknown.
  QWidget* editor(const std::string& key) const;
  // The inline error text currently shown for a key.
  QString error_text(const std::string& key) const;
  // Adds a hint to a field's tooltip (stage names for "layers").
  void set_hint(const std::string& key, const QString& hint);
  // Optional forms: the object written when the box is ticked (default {}), and whether unticking
  // removes the key (absence = off, e.g. training.fault_aware) rather than writing null.
  void set_toggle(const nlohmann::json& on_value, bool remove_when_off);
  // Keys edited by forms of their own (training's "fault_aware"): their problems are not shown here.
  void set_nested(const QStringList& keys) { nested_ = keys; }
  // Keys of this object the engine reported as unknown (a typo, a key of another version): the
  // form has no field for them, so a button under the problems removes them (one undo step).
  QStringList unknown_keys() const { return unknown_keys_; }
  QPushButton* remove_unknown_button() const { return remove_unknown_; }
  void remove_unknown_keys();

 private:
  struct Row {
    FieldSpec spec;
    QWidget* editor = nullptr;
    QLabel* error = nullptr;
    QString local_error;  // the text could not be read (Json fields), shown with the engine's problems
  };
  // Creates row.editor; returns the widget to place in the form (the editor, or it with a button).
  QWidget* build_editor(Row& row);
  QWidget* with_picker(Row& row, QLineEdit* edit);
  void pick_path(const std::string& key);
  void commit_text(const std::string& key);
  Row* find_row(const std::string& key);
  void show_row_errors(Row& row, const QStringList& engine);
  void load_row(Row& row, const nlohmann::json& object);
  void write(const Row& row, const nlohmann::json& value);
  nlohmann::json object() const;

  QHash<QString, QStringList> engine_errors_;  // the last problems per key, kept for local errors

  ProjectDocument* doc_;
  std::vector<Row> rows_;
  bool optional_;
  nlohmann::json on_value_ = nlohmann::json::object();
  bool remove_when_off_ = false;
  QStringList nested_;
  std::string base_;
  QLabel* section_error_;
  QPushButton* remove_unknown_;
  QStringList unknown_keys_;
  QFormLayout* form_;
  bool loading_ = false;
  bool bound_ = false;  // set_base called ("" is the document root)
};

// "/experiments/0/faults" -> "experiments[0].faults", the path the engine's problems start with.
QString problem_path(const std::string& pointer);

}  // namespace faultscape::gui
