// The fault model, campaign and protection of the selected experiment. Fault model and campaign
// are forms over their JSON objects; the protection list is edited as JSON (its schemes are
// defined and validated by the protection layer) and applied as one undoable edit.
#pragma once
#include <QWidget>

class QLabel;
class QPlainTextEdit;

namespace faultscape::gui {

class JsonForm;
class ProjectDocument;

class FaultPanel : public QWidget {
  Q_OBJECT
 public:
  FaultPanel(ProjectDocument* doc, QWidget* parent = nullptr);
  void set_experiment(int index);
  QList<JsonForm*> forms() const;
  JsonForm* fault_form() const { return faults_; }
  JsonForm* campaign_form() const { return campaign_; }
  // Problems under "experiments[i].protection" shown under the editor.
  void show_protection_problems(const QStringList& problems);

 private:
  void load_protection();
  void apply_protection();

  ProjectDocument* doc_;
  int index_ = -1;
  JsonForm *faults_, *campaign_;
  QPlainTextEdit* protection_;
  QLabel* protection_error_;
};

}  // namespace faultscape::gui
