// The model view of the selected experiment: its architecture, dataset and training forms (with
// fault-aware training, dropout and the robust-training methods as sections that exist in the
// project only when ticked), and the
// table of the network's stages (kind, output shape, parameters, MACs) measured by the engine
// worker (building a model runs a forward pass, which never happens on the UI thread).
#pragma once
#include <nlohmann/json.hpp>

#include <QWidget>

class QLabel;
class QScrollArea;
class QTableWidget;

namespace faultscape::gui {

class JsonForm;
class ProjectDocument;

class ModelPanel : public QWidget {
  Q_OBJECT
 public:
  ModelPanel(ProjectDocument* doc, QWidget* parent = nullptr);
  void set_experiment(int index);
  QList<JsonForm*> forms() const;
  QTableWidget* stage_table() const { return table_; }
  JsonForm* training_form() const { return training_; }
  // The form of an optional training object ("fault_aware", "dropout", ...); nullptr when unknown.
  JsonForm* training_section(const std::string& key) const;
  JsonForm* prune_form() const { return prune_; }
  // The network's stage names, offered as hints by the "layers" fields.
  void set_stage_names(const QStringList& names);
  // Scrolls the forms so the training section is at the top (or back to the top of the forms).
  void scroll_to_training(bool on);

 public Q_SLOTS:
  void show_summary(const nlohmann::json& summary);
  void show_summary_error(const QString& error);
  void show_pending();

 private:
  JsonForm *experiment_, *model_, *dataset_, *training_, *prune_;
  std::vector<std::pair<std::string, JsonForm*>> sections_;  // training_sections(), in order
  QScrollArea* scroll_;
  QTableWidget* table_;
  QLabel* totals_;
};

// 1234567 -> "1.23 M"
QString compact_number(double v);

}  // namespace faultscape::gui
