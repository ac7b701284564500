// The project's settings and its list of experiments (the run queue's choices): select one to edit
// and run it; add, duplicate or remove experiments (undoable edits of the "experiments" array).
#pragma once
#include <QWidget>

class QListWidget;

namespace faultscape::gui {

class JsonForm;
class ProjectDocument;

class ExperimentsPanel : public QWidget {
  Q_OBJECT
 public:
  ExperimentsPanel(ProjectDocument* doc, QWidget* parent = nullptr);
  int current() const;
  QString current_name() const;
  QStringList names() const;  // every experiment, in project order
  void select(int index);
  JsonForm* project_form() const { return project_; }
  QListWidget* list() const { return list_; }

 Q_SIGNALS:
  void current_changed(int index);

 private:
  void reload();
  void add(bool duplicate);
  void remove();

  ProjectDocument* doc_;
  QListWidget* list_;
  JsonForm* project_;
};

}  // namespace faultscape::gui
