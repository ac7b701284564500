// The fault model, campaign and protection of the selected experiment: forms over the experiment's
// "faults" and "campaign" objects and the protection editor over its "protection" array.
#pragma once
#include <QWidget>

namespace faultscape::gui {

class JsonForm;
class ProjectDocument;
class ProtectionEditor;

class FaultPanel : public QWidget {
  Q_OBJECT
 public:
  FaultPanel(ProjectDocument* doc, QWidget* parent = nullptr);
  void set_experiment(int index);
  QList<JsonForm*> forms() const;
  JsonForm* fault_form() const { return faults_; }
  JsonForm* campaign_form() const { return campaign_; }
  ProtectionEditor* protection() const { return protection_; }
  // Problems under "experiments[i].protection" shown in the protection editor.
  void show_protection_problems(const QStringList& problems);
  // The network's stage names, offered as hints by every "layers" field.
  void set_stage_names(const QStringList& names);

 private:
  JsonForm *faults_, *campaign_;
  ProtectionEditor* protection_;
};

}  // namespace faultscape::gui
