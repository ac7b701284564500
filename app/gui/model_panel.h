// The model view of the selected experiment: its architecture, dataset and training forms, and the
// table of the network's stages (kind, output shape, parameters, MACs) measured by the engine
// worker (building a model runs a forward pass, which never happens on the UI thread).
#pragma once
#include <nlohmann/json.hpp>

#include <QWidget>

class QLabel;
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

 public Q_SLOTS:
  void show_summary(const nlohmann::json& summary);
  void show_summary_error(const QString& error);
  void show_pending();

 private:
  JsonForm *experiment_, *model_, *dataset_, *training_;
  QTableWidget* table_;
  QLabel* totals_;
};

// 1234567 -> "1.23 M"
QString compact_number(double v);

}  // namespace faultscape::gui
