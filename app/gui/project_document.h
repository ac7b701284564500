// The open project: the project JSON (the same document the CLI runs) plus its file path and an
// undo stack. Every edit made through the GUI is a JSON-pointer assignment pushed on the stack.
#pragma once
#include <nlohmann/json.hpp>

#include <QObject>
#include <QString>
#include <QUndoStack>

namespace faultscape::gui {

class ProjectDocument : public QObject {
  Q_OBJECT
 public:
  explicit ProjectDocument(QObject* parent = nullptr);

  const nlohmann::json& data() const { return doc_; }
  // The value at a JSON pointer ("/experiments/0/faults/kind"); null when absent.
  nlohmann::json value(const std::string& pointer) const;
  // Undoable assignment (parents created as needed); nothing happens when the value is unchanged.
  // Successive edits of the same pointer merge into one undo step (typing into a field), unless
  // `merge` is false: structural edits (adding, removing, reordering) stay separate steps.
  void set(const std::string& pointer, const nlohmann::json& value, const QString& description = {}, bool merge = true);
  // Undoable removal of a key (absent = the engine's default); nothing happens when it is absent.
  void remove(const std::string& pointer, const QString& description = {});

  QString path() const { return path_; }
  QUndoStack* undo_stack() { return &stack_; }
  bool modified() const { return !stack_.isClean(); }

  // Replaces the whole document (new / open); clears the undo history.
  void reset(const nlohmann::json& doc, const QString& path);
  // Reads a project file as the CLI does (comments allowed); false with the CLI's message (file,
  // line and column of a JSON syntax error) in *error, the open document left untouched.
  bool open(const QString& path, QString* error);
  // Writes the document (indented JSON) atomically and marks it clean.
  bool save(const QString& path, QString* error);

  // Applied by undo commands only.
  void apply(const std::string& pointer, const nlohmann::json& value);

 Q_SIGNALS:
  void changed(const QString& pointer);  // a value was edited (or an edit undone)
  void reloaded();                       // the whole document was replaced
  void path_changed(const QString& path);

 private:
  nlohmann::json doc_ = nlohmann::json::object();
  QString path_;
  QUndoStack stack_;
};

// The project a "New project" starts from: one small, runnable experiment.
nlohmann::json new_project_json();

}  // namespace faultscape::gui
