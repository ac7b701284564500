// The experiment's "protection" array as an ordered list of schemes (add from a menu, remove, move
// up / down) and, for the selected scheme, a form built from its FieldSpec table. Every change is
// one undoable document edit; the engine's problems appear under the field they concern and mark
// the scheme in the list. "Edit as JSON" shows the whole array as text for power users.
#pragma once
#include <nlohmann/json.hpp>

#include <QGroupBox>

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;
class QToolButton;
class QVBoxLayout;

namespace faultscape::gui {

class JsonForm;
class ProjectDocument;

class ProtectionEditor : public QGroupBox {
  Q_OBJECT
 public:
  explicit ProtectionEditor(ProjectDocument* doc, QWidget* parent = nullptr);

  // Points the editor at an experiment's array ("/experiments/1/protection") and reloads it.
  void set_base(const std::string& pointer);
  // Problems under "experiments[i].protection"; returns how many concern this array.
  int show_problems(const QStringList& problems);
  void set_stage_names(const QStringList& names);

  void add_scheme(const QString& scheme);
  void select(int row);
  QListWidget* list() const { return list_; }
  JsonForm* form() const { return form_; }  // the selected scheme's form; nullptr when none
  QToolButton* add_button() const { return add_; }
  QPushButton* remove_button() const { return remove_; }
  QPushButton* up_button() const { return up_; }
  QPushButton* down_button() const { return down_; }
  QToolButton* json_toggle() const { return json_toggle_; }
  QPlainTextEdit* json_text() const { return json_; }
  QPushButton* json_apply() const { return apply_; }
  QString error_text() const;  // the problems shown above the list (whole-array or JSON-mode)

 private:
  nlohmann::json array() const;
  void load();
  void update_form();
  void move(int delta);
  void remove_selected();
  void apply_json();
  void set_json_mode(bool on);
  void store(const nlohmann::json& array, const QString& what);

  ProjectDocument* doc_;
  std::string base_;
  QListWidget* list_;
  QToolButton *add_, *json_toggle_;
  QPushButton *remove_, *up_, *down_, *apply_;
  QStackedWidget* pages_;
  QVBoxLayout* form_box_;
  QLabel *error_, *empty_hint_;
  QPlainTextEdit* json_;
  JsonForm* form_ = nullptr;
  QString form_scheme_;
  QStringList problems_, stage_names_;
  bool loading_ = false;
};

}  // namespace faultscape::gui
