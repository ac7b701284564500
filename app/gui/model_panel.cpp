#include "model_panel.h"

#include <QHeaderView>
#include <QLabel>
#include <QScrollArea>
#include <QScrollBar>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "engine_bridge.h"
#include "json_form.h"

namespace faultscape::gui {

QString compact_number(double v) {
  const char* units[] = {"", " k", " M", " G", " T"};
  int u = 0;
  while (std::abs(v) >= 1000 && u < 4) v /= 1000, ++u;
  return u == 0 ? QString::number(v, 'f', 0) : QString::number(v, 'f', v < 10 ? 2 : v < 100 ? 1 : 0) + units[u];
}

ModelPanel::ModelPanel(ProjectDocument* doc, QWidget* parent) : QWidget(parent) {
  std::vector<FieldSpec> exp = {
      {"name", tr("Experiment name"), FieldSpec::Type::Text, tr("Unique within the project; names its runs"), ""},
      {"load",
       tr("Model to use as is"),
       FieldSpec::Type::File,
       tr("A model used as it is instead of training: a Faultscape model file or a TorchScript file "
          "(torch.jit.script / torch.jit.trace); empty = train (or set Epochs to 0 to use the model as it is)"),
       "",
       {tr("Models (*.pt *.pth)"), tr("All files (*)")},
       0,
       2147483647,
       tr("none: train the model")}};
  experiment_ = new JsonForm(tr("Experiment"), doc, exp, false);
  // The sections below (and the Faults tab) show their own problems.
  experiment_->set_nested({"dataset", "model", "training", "faults", "campaign", "protection", "prune"});
  model_ = new JsonForm(tr("Model"), doc, model_fields(zoo_model_names()), false);
  dataset_ = new JsonForm(tr("Dataset"), doc, dataset_fields(dataset_names_list()), false);
  training_ = new JsonForm(tr("Training"), doc, training_fields(), false);
  // Absent = off, so unticking removes the object (and plain training keeps its config hash).
  QStringList nested;
  for (TrainingSection& s : training_sections()) {
    auto* form = new JsonForm(s.title, doc, std::move(s.fields), true);
    form->set_toggle(s.on_value, true);
    form->setToolTip(s.tooltip + tr("; unticked: off (the key is absent)"));
    sections_.emplace_back(s.key, form);
    nested << QString::fromStdString(s.key);
  }
  training_->set_nested(nested);
  // Absent = no pruning; ticking writes the paper's criterion.
  prune_ = new JsonForm(tr("Pruning after training"), doc, prune_fields(), true);
  prune_->set_toggle({{"criterion", "vulnerability"}}, true);
  prune_->setToolTip(
      tr("Prunes the trained (or loaded) network and fine-tunes it; evaluation, protection and the "
         "campaign then measure the pruned network (hardening paper, section IV); unticked: no "
         "pruning (the key is absent)"));
  auto* forms = new QWidget;
  auto* col = new QVBoxLayout(forms);
  for (JsonForm* f : this->forms()) col->addWidget(f);
  col->addStretch(1);
  auto* scroll = scroll_ = new QScrollArea;
  scroll->setWidget(forms);
  scroll->setWidgetResizable(true);

  table_ = new QTableWidget(0, 5);
  table_->setHorizontalHeaderLabels({tr("stage"), tr("kind"), tr("output"), tr("parameters"), tr("MACs")});
  // Columns as wide as their contents ("16×10×10", "parameters"), never cut; the last takes the rest.
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->setVisible(false);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setToolTip(tr("Every stage output is an activation fault site, every parameter a weight fault site"));
  totals_ = new QLabel;
  totals_->setWordWrap(true);
  auto* right = new QWidget;
  auto* rcol = new QVBoxLayout(right);
  auto* heading = new QLabel(tr("<b>Network stages</b> (per image)"));
  rcol->addWidget(heading);
  rcol->addWidget(table_, 1);
  rcol->addWidget(totals_);

  auto* split = new QSplitter;
  split->addWidget(scroll);
  split->addWidget(right);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 1);
  auto* box = new QVBoxLayout(this);
  box->setContentsMargins(0, 0, 0, 0);
  box->addWidget(split);
}

QList<JsonForm*> ModelPanel::forms() const {
  QList<JsonForm*> list = {experiment_, model_, dataset_, training_};
  for (const auto& [key, form] : sections_) list << form;
  list << prune_;
  return list;
}

JsonForm* ModelPanel::training_section(const std::string& key) const {
  for (const auto& [k, form] : sections_)
    if (k == key) return form;
  return nullptr;
}

void ModelPanel::scroll_to_training(bool on) { scroll_->verticalScrollBar()->setValue(on ? training_->y() : 0); }

void ModelPanel::set_stage_names(const QStringList& names) {
  const QString hint = tr("Stages: %1").arg(names.join(", "));
  for (const auto& [key, form] : sections_) form->set_hint("layers", hint);
  prune_->set_hint("layers", hint);
}

void ModelPanel::set_experiment(int index) {
  const std::string base = "/experiments/" + std::to_string(index);
  experiment_->set_base(base);
  model_->set_base(base + "/model");
  dataset_->set_base(base + "/dataset");
  training_->set_base(base + "/training");
  for (const auto& [key, form] : sections_) form->set_base(base + "/training/" + key);
  prune_->set_base(base + "/prune");
}

void ModelPanel::show_summary(const nlohmann::json& s) {
  const auto& stages = s.value("stages", nlohmann::json::array());
  table_->setRowCount(static_cast<int>(stages.size()));
  int row = 0;
  for (const auto& st : stages) {
    QStringList shape;
    for (const auto& d : st.value("output_shape", nlohmann::json::array())) shape << QString::number(d.get<qint64>());
    const QStringList cells = {QString::fromStdString(st.value("name", "")),
                               QString::fromStdString(st.value("kind", "")), shape.join(QString::fromUtf8("×")),
                               compact_number(st.value("params", 0.0)), compact_number(st.value("macs", 0.0))};
    for (int c = 0; c < cells.size(); ++c) {
      auto* item = new QTableWidgetItem(cells[c]);
      if (c >= 3) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      table_->setItem(row, c, item);
    }
    ++row;
  }
  // The splitter keeps the table at least this wide, so no column hides behind a scroll bar.
  int needed = 2 * table_->frameWidth() + table_->verticalScrollBar()->sizeHint().width();
  const QAbstractItemView* view = table_;  // sizeHintForColumn is public here, protected in QTableView
  for (int c = 0; c < table_->columnCount(); ++c)
    needed += std::max(view->sizeHintForColumn(c), table_->horizontalHeader()->sectionSizeHint(c));
  table_->setMinimumWidth(needed);
  QStringList in;
  for (const auto& d : s.value("input_shape", nlohmann::json::array())) in << QString::number(d.get<qint64>());
  totals_->setText(tr("%1: input %2, %3 classes — %4 parameters, %5 MACs per image")
                       .arg(QString::fromStdString(s.value("model", "")), in.join(QString::fromUtf8("×")))
                       .arg(s.value("num_classes", 0))
                       .arg(compact_number(s.value("params", 0.0)), compact_number(s.value("macs", 0.0))));
}

void ModelPanel::show_summary_error(const QString& error) {
  table_->setRowCount(0);
  totals_->setText("<span style='color:#D55E00'>" + error.toHtmlEscaped() + "</span>");
}

void ModelPanel::show_pending() { totals_->setText(tr("measuring the network…")); }

}  // namespace faultscape::gui
