#include "experiments_panel.h"

#include <QHBoxLayout>
#include <QListWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

#include "engine_bridge.h"
#include "json_form.h"
#include "project_document.h"

namespace faultscape::gui {

using nlohmann::json;

ExperimentsPanel::ExperimentsPanel(ProjectDocument* doc, QWidget* parent) : QWidget(parent), doc_(doc) {
  auto* box = new QVBoxLayout(this);
  list_ = new QListWidget;
  list_->setToolTip(tr("The experiments of the project; the selected one is edited and run"));
  box->addWidget(list_, 1);
  auto* row = new QHBoxLayout;
  auto button = [&](const QString& text, const QString& tip) {
    auto* b = new QPushButton(text);
    b->setToolTip(tip);
    row->addWidget(b);
    return b;
  };
  connect(button(tr("Add"), tr("A new experiment with the engine's defaults")), &QPushButton::clicked, this,
          [this] { add(false); });
  connect(button(tr("Duplicate"), tr("A copy of the selected experiment, e.g. to vary one setting")),
          &QPushButton::clicked, this, [this] { add(true); });
  connect(button(tr("Remove"), tr("Remove the selected experiment (undoable)")), &QPushButton::clicked, this,
          &ExperimentsPanel::remove);
  box->addLayout(row);
  project_ = new JsonForm(tr("Project"), doc, project_fields(device_choices_list(), detected_devices_text()), false);
  project_->set_base("");
  box->addWidget(project_);
  connect(list_, &QListWidget::currentRowChanged, this, &ExperimentsPanel::current_changed);
  connect(doc_, &ProjectDocument::reloaded, this, [this] {
    reload();
    project_->load();
  });
  connect(doc_, &ProjectDocument::changed, this, [this](const QString& p) {
    // The list shows names and campaign kinds; other edits leave it alone.
    static const QRegularExpression listed("^/experiments(/\\d+(/name|/campaign(/kind)?)?)?$");
    if (p.isEmpty() || listed.match(p).hasMatch()) reload();
    project_->load();
  });
}

int ExperimentsPanel::current() const { return list_->currentRow(); }

QString ExperimentsPanel::current_name() const {
  const json e = doc_->value("/experiments/" + std::to_string(std::max(0, current())) + "/name");
  return e.is_string() ? QString::fromStdString(e.get<std::string>()) : QString();
}

QStringList ExperimentsPanel::names() const {
  QStringList out;
  const json list = doc_->value("/experiments");
  if (list.is_array())
    for (const auto& e : list) out << QString::fromStdString(e.value("name", ""));
  return out;
}

void ExperimentsPanel::select(int index) { list_->setCurrentRow(index); }

void ExperimentsPanel::reload() {
  const int keep = std::max(0, list_->currentRow());
  QSignalBlocker block(list_);
  list_->clear();
  const json list = doc_->value("/experiments");
  if (list.is_array())
    for (const auto& e : list) {
      QString name = QString::fromStdString(e.value("name", "(unnamed)"));
      const json campaign = e.value("campaign", json());
      if (campaign.is_object()) name += "  [" + QString::fromStdString(campaign.value("kind", "golden")) + "]";
      list_->addItem(name);
    }
  block.unblock();
  const int n = list_->count();
  if (n > 0) {
    list_->setCurrentRow(std::min(keep, n - 1));
    Q_EMIT current_changed(list_->currentRow());
  }
}

void ExperimentsPanel::add(bool duplicate) {
  json list = doc_->value("/experiments");
  if (!list.is_array()) list = json::array();
  json e = duplicate && current() >= 0 && current() < static_cast<int>(list.size())
               ? list[current()]
               : json{{"dataset", {{"name", "fashion-mnist"}}},
                      {"model", {{"name", "lenet5"}}},
                      {"training", {{"epochs", 1}}}};
  // A unique name: the base name plus the first free number.
  const std::string base = duplicate ? e.value("name", "experiment") : "experiment";
  std::string name;
  for (int i = list.size() + 1;; ++i) {
    name = base + "-" + std::to_string(i);
    bool taken = false;
    for (const auto& x : list) taken = taken || x.value("name", "") == name;
    if (!taken) break;
  }
  e["name"] = name;
  list.push_back(e);
  doc_->set("/experiments", list, duplicate ? tr("Duplicate experiment") : tr("Add experiment"), false);
  select(static_cast<int>(list.size()) - 1);
}

void ExperimentsPanel::remove() {
  json list = doc_->value("/experiments");
  if (!list.is_array() || current() < 0 || current() >= static_cast<int>(list.size())) return;
  list.erase(list.begin() + current());
  doc_->set("/experiments", list, tr("Remove experiment"), false);
}

}  // namespace faultscape::gui
