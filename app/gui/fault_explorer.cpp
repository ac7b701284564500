#include "fault_explorer.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>

#include "bit_word_view.h"
#include "explorer_worker.h"
#include "feature_map_plot.h"
#include "probability_plot.h"
#include "propagation_plot.h"

namespace faultscape::gui {

using nlohmann::json;

namespace {

constexpr int kThumbnails = 300;  // test images offered in the picker
constexpr int kFaultyStage = -1;  // stage_ item data: the first faulty stage

QSpinBox* spin(int lo, int hi) {
  auto* s = new QSpinBox;
  s->setRange(lo, hi);
  s->setKeyboardTracking(false);  // one update per edit, not per keystroke
  return s;
}

}  // namespace

FaultExplorer::FaultExplorer(QThread* engine_thread, QWidget* parent) : QWidget(parent), worker_(new ExplorerWorker) {
  worker_->moveToThread(engine_thread);
  connect(engine_thread, &QThread::finished, worker_, &QObject::deleteLater);
  connect(worker_, &ExplorerWorker::opened, this, &FaultExplorer::on_opened);
  connect(worker_, &ExplorerWorker::explained, this, &FaultExplorer::on_explained);
  connect(worker_, &ExplorerWorker::failed, this, &FaultExplorer::on_failed);
  connect(worker_, &ExplorerWorker::flipped, this, [this](quint64 id, const QList<int>& images) {
    if (id != flipped_request_) return;
    flipped_ = images;
    refill_images();
  });
  build();
}

FaultExplorer::~FaultExplorer() = default;  // the worker is deleted on the engine thread

void FaultExplorer::build() {
  // Left: image picker and the two predictions.
  auto* left = new QWidget;
  auto* lv = new QVBoxLayout(left);
  filter_ = new QComboBox;
  filter_->setObjectName("explorer_filter");
  filter_->addItems({tr("All images"), tr("Misclassified"), tr("Flipped by the worst stuck-at fault"), tr("Class")});
  class_ = new QComboBox;
  class_->setEnabled(false);
  auto* fl = new QHBoxLayout;
  fl->addWidget(filter_, 1);
  fl->addWidget(class_, 1);
  lv->addLayout(fl);
  images_ = new QListWidget;
  images_->setObjectName("explorer_images");
  images_->setViewMode(QListView::IconMode);
  images_->setIconSize(QSize(56, 56));
  images_->setResizeMode(QListView::Adjust);
  images_->setMovement(QListView::Static);
  images_->setSpacing(2);
  lv->addWidget(images_, 1);
  golden_label_ = new QLabel;
  faulty_label_ = new QLabel;
  for (QLabel* l : {golden_label_, faulty_label_}) {
    l->setWordWrap(true);
    l->setTextFormat(Qt::RichText);
    lv->addWidget(l);
  }

  // Middle: the fault, its stored word, protection and checkers.
  auto* middle = new QWidget;
  auto* mv = new QVBoxLayout(middle);
  auto* fault_box = new QGroupBox(tr("Fault"));
  auto* form = new QFormLayout(fault_box);
  target_ = new QComboBox;
  target_->addItem(tr("weight"), "weights");
  target_->addItem(tr("activation"), "activations");
  layer_ = new QComboBox;
  tensor_ = new QComboBox;
  index_ = spin(0, 0);
  where_ = new QComboBox;
  where_->addItem(tr("one element"), "element");
  where_->addItem(tr("a whole channel"), "channel");
  where_->addItem(tr("a pixel of every channel"), "pixel");
  element_ = spin(0, 0);
  channel_ = spin(0, 0);
  row_ = spin(0, 0);
  column_ = spin(0, 0);
  mode_ = new QComboBox;
  mode_->addItem(tr("flip a bit"), "bit");
  mode_->addItem(tr("stuck at a value"), "value");
  bit_ = spin(0, 31);
  value_ = new QDoubleSpinBox;
  value_->setRange(-1e30, 1e30);
  value_->setDecimals(4);
  value_->setKeyboardTracking(false);
  form->addRow(tr("Target"), target_);
  form->addRow(tr("Layer"), layer_);
  form->addRow(tr("Tensor"), tensor_);
  form->addRow(tr("Index"), index_);
  form->addRow(tr("Where"), where_);
  form->addRow(tr("Element"), element_);
  form->addRow(tr("Channel"), channel_);
  form->addRow(tr("Row"), row_);
  form->addRow(tr("Column"), column_);
  form->addRow(tr("Fault"), mode_);
  form->addRow(tr("Bit"), bit_);
  form->addRow(tr("Value"), value_);
  auto* replay_row = new QHBoxLayout;
  run_ = spin(1, 1 << 30);
  trial_ = spin(0, 1 << 30);
  replay_button_ = new QPushButton(tr("Replay"));
  replay_button_->setToolTip(tr("Show the fault of trial N of stuck-sweep run R from the results database"));
  replay_row->addWidget(new QLabel(tr("run")));
  replay_row->addWidget(run_);
  replay_row->addWidget(new QLabel(tr("trial")));
  replay_row->addWidget(trial_);
  replay_row->addWidget(replay_button_);
  form->addRow(tr("Stored trial"), replay_row);
  mv->addWidget(fault_box);
  word_ = new widgets::BitWordView;
  mv->addWidget(word_);
  auto* protect_box = new QGroupBox(tr("Protection"));
  auto* pv = new QVBoxLayout(protect_box);
  schemes_ = new QListWidget;
  schemes_->setMaximumHeight(80);
  tmr_here_ = new QCheckBox(tr("TMR on the faulty layer"));
  pv->addWidget(schemes_);
  pv->addWidget(tmr_here_);
  checkers_ = new QTableWidget(0, 4);
  checkers_->setHorizontalHeaderLabels({tr("checker"), tr("corrupted in"), tr("corrupted out"), tr("verdict")});
  checkers_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  checkers_->verticalHeader()->hide();
  checkers_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  checkers_->setMaximumHeight(120);
  pv->addWidget(checkers_);
  mv->addWidget(protect_box);
  status_ = new QLabel;
  error_ = new QLabel;
  error_->setWordWrap(true);
  error_->setStyleSheet("color: #b00020");
  mv->addWidget(status_);
  mv->addWidget(error_);
  mv->addStretch(1);
  auto* scroll = new QScrollArea;
  scroll->setWidget(middle);
  scroll->setWidgetResizable(true);

  // Right: feature maps over propagation and probabilities.
  auto* right = new QSplitter(Qt::Vertical);
  auto* map_panel = new QWidget;
  auto* mp = new QVBoxLayout(map_panel);
  mp->setContentsMargins(0, 0, 0, 0);
  auto* map_row = new QHBoxLayout;
  stage_ = new QComboBox;
  map_channel_ = spin(0, 0);
  map_row->addWidget(new QLabel(tr("Stage")));
  map_row->addWidget(stage_, 1);
  map_row->addWidget(new QLabel(tr("Channel")));
  map_row->addWidget(map_channel_);
  mp->addLayout(map_row);
  maps_ = new widgets::FeatureMapPlot;
  mp->addWidget(maps_, 1);
  right->addWidget(map_panel);
  auto* bottom = new QSplitter(Qt::Horizontal);
  propagation_ = new widgets::PropagationPlot;
  probs_ = new widgets::ProbabilityPlot;
  bottom->addWidget(propagation_);
  bottom->addWidget(probs_);
  right->addWidget(bottom);

  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(left);
  split->addWidget(scroll);
  split->addWidget(right);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  split->setStretchFactor(2, 5);
  scroll->setMinimumWidth(360);  // the fault form and the 32 bits of a word stay readable
  split->setSizes({260, 420, 760});
  auto* box = new QVBoxLayout(this);
  box->setContentsMargins(2, 2, 2, 2);
  box->addWidget(split);

  // Every edit of the fault or protection recomputes; the map channel only redraws.
  auto changed = [this] {
    if (filling_) return;
    replay_ = json();
    update_fault_controls();
    request_update();
  };
  connect(target_, &QComboBox::currentIndexChanged, this, [this, changed] {
    if (filling_) return;
    fill_stages(stages_);
    changed();
  });
  connect(layer_, &QComboBox::currentIndexChanged, this, [this, changed] {
    if (filling_) return;
    fill_tensors();
    changed();
  });
  connect(tensor_, &QComboBox::currentIndexChanged, this, changed);
  for (QComboBox* c : {where_, mode_}) connect(c, &QComboBox::currentIndexChanged, this, changed);
  for (QSpinBox* s : {index_, element_, channel_, row_, column_, bit_})
    connect(s, &QSpinBox::valueChanged, this, changed);
  connect(value_, &QDoubleSpinBox::valueChanged, this, changed);
  connect(word_, &widgets::BitWordView::bit_clicked, this, [this](int b) {
    filling_ = true;
    mode_->setCurrentIndex(0);
    bit_->setValue(b);
    filling_ = false;
    replay_ = json();
    update_fault_controls();
    request_update();
  });
  connect(replay_button_, &QPushButton::clicked, this, [this] { replay(run_->value(), trial_->value()); });
  connect(schemes_, &QListWidget::itemChanged, this, [this] {
    if (!filling_) request_update();
  });
  connect(tmr_here_, &QCheckBox::toggled, this, [this] { request_update(); });
  connect(stage_, &QComboBox::currentIndexChanged, this, [this] {
    if (!filling_) request_update();
  });
  connect(map_channel_, &QSpinBox::valueChanged, this, [this](int c) { maps_->set_channel(c); });
  connect(images_, &QListWidget::currentRowChanged, this, [this](int row) {
    if (filling_ || row < 0) return;
    image_ = images_->item(row)->data(Qt::UserRole).toInt();
    request_update();
  });
  connect(filter_, &QComboBox::currentIndexChanged, this, [this](int f) {
    class_->setEnabled(f == static_cast<int>(Filter::Class));
    if (f == static_cast<int>(Filter::Flipped) && flipped_request_ == 0 && open_) {
      flipped_request_ = next_id_++;
      ExplorerWorker* w = worker_;
      const quint64 id = flipped_request_;
      QMetaObject::invokeMethod(
          w, [w, id] { w->find_flipped(kThumbnails, id); }, Qt::QueuedConnection);
    }
    refill_images();
  });
  connect(class_, &QComboBox::currentIndexChanged, this, [this] { refill_images(); });
  update_fault_controls();
  status_->setText(tr("The explorer opens the selected experiment's model when this view is shown."));
}

void FaultExplorer::set_experiment(const json& doc, const QString& path, const QString& experiment) {
  // Reopened only when what the model depends on changed, not on every edit of the document.
  auto key = [](const json& d, const QString& name) {
    json k = {{"seed", d.value("seed", json())},
              {"threads", d.value("threads", json())},
              {"output_dir", d.value("output_dir", json())},
              {"name", d.value("name", json())}};
    for (const auto& e : d.value("experiments", json::array()))
      if (e.value("name", "") == name.toStdString()) k["experiment"] = e;
    return k;
  };
  if (path == path_ && experiment == experiment_ && key(doc, experiment) == key(doc_, experiment_)) return;
  doc_ = doc, path_ = path, experiment_ = experiment;
  open_ = false;
  dirty_ = true;
  if (isVisible()) open_now();
}

void FaultExplorer::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (dirty_ && !opening_) open_now();
}

void FaultExplorer::open_now() {
  if (experiment_.isEmpty()) return;
  dirty_ = false;
  opening_ = true;
  open_request_ = next_id_++;
  flipped_request_ = 0;
  flipped_.clear();
  status_->setText(tr("Opening %1: loading its model (trained first when no earlier run left one)…").arg(experiment_));
  error_->clear();
  ExplorerWorker* w = worker_;
  const json doc = doc_;
  const QString path = path_, experiment = experiment_;
  const quint64 id = open_request_;
  QMetaObject::invokeMethod(
      w, [w, doc, path, experiment, id] { w->open(doc, path, experiment, kThumbnails, id); }, Qt::QueuedConnection);
}

void FaultExplorer::on_opened(quint64 request, const json& info, const QList<QImage>& thumbs) {
  if (request != open_request_) return;
  opening_ = false;
  open_ = true;
  info_ = info;
  thumbs_ = thumbs;
  filling_ = true;
  class_->clear();
  for (const auto& c : info["classes"]) class_->addItem(QString::fromStdString(c.get<std::string>()));
  schemes_->clear();
  for (const auto& s : info["protection"]) {
    auto* item = new QListWidgetItem(QString::fromStdString(s.dump()));
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(Qt::Checked);
    schemes_->addItem(item);
  }
  if (info["worst"].is_object()) {
    run_->setValue(info["worst"]["run"].get<int>());
    trial_->setValue(info["worst"]["trial"].get<int>());
  }
  filling_ = false;
  fill_stages(info["stages"]);
  refill_images();
  status_->setText(tr("%1: %2 test images").arg(experiment_).arg(info.value("test_size", 0)));
  Q_EMIT opened();
  if (!pending_preset_.is_null()) {
    const json preset = pending_preset_;
    pending_preset_ = json();
    apply_preset(preset);
  } else {
    request_update();
  }
}

void FaultExplorer::fill_stages(const json& stages) {
  stages_ = stages;
  const bool weights = target_->currentData().toString() == "weights";
  const QString layer = layer_->currentText(), stage = stage_->currentText();
  filling_ = true;
  layer_->clear();
  stage_->clear();
  stage_->addItem(tr("the first faulty stage"), kFaultyStage);
  for (size_t i = 0; i < stages.size(); ++i) {
    const QString name = QString::fromStdString(stages[i].value("name", ""));
    stage_->addItem(name, static_cast<int>(i));
    if (!weights || !stages[i]["weights"].empty()) layer_->addItem(name);
  }
  if (layer_->findText(layer) >= 0) layer_->setCurrentIndex(layer_->findText(layer));
  if (stage_->findText(stage) >= 0) stage_->setCurrentIndex(stage_->findText(stage));
  filling_ = false;
  fill_tensors();
}

void FaultExplorer::fill_tensors() {
  const QString tensor = tensor_->currentText();
  filling_ = true;
  tensor_->clear();
  for (const auto& s : stages_)
    if (QString::fromStdString(s.value("name", "")) == layer_->currentText()) {
      for (const auto& w : s["weights"]) tensor_->addItem(QString::fromStdString(w["name"].get<std::string>()));
      // Activation ranges from the stage's output shape.
      const auto& shape = s["shape"];
      int64_t numel = 1;
      for (const auto& d : shape) numel *= d.get<int64_t>();
      element_->setMaximum(static_cast<int>(std::max<int64_t>(0, numel - 1)));
      channel_->setMaximum(shape.empty() ? 0 : shape[0].get<int>() - 1);
      row_->setMaximum(shape.size() >= 3 ? shape[1].get<int>() - 1 : 0);
      column_->setMaximum(shape.size() >= 3 ? shape[2].get<int>() - 1 : 0);
    }
  if (tensor_->findText(tensor) >= 0) tensor_->setCurrentIndex(tensor_->findText(tensor));
  filling_ = false;
  update_fault_controls();
}

void FaultExplorer::update_fault_controls() {
  const bool weights = target_->currentData().toString() == "weights";
  const bool flip = mode_->currentData().toString() == "bit";
  const QString where = where_->currentData().toString();
  auto show = [](QWidget* w, bool on) {
    w->setVisible(on);
    if (auto* form = qobject_cast<QFormLayout*>(w->parentWidget() ? w->parentWidget()->layout() : nullptr))
      if (QWidget* label = form->labelForField(w)) label->setVisible(on);
  };
  show(tensor_, weights);
  show(index_, weights);
  show(where_, !weights);
  show(element_, !weights && where == "element");
  show(channel_, !weights && where == "channel");
  show(row_, !weights && where == "pixel");
  show(column_, !weights && where == "pixel");
  show(bit_, flip);
  show(value_, !flip);
  // A bit flips one stored word: channels and pixels are stuck at a value.
  if (!weights && where != "element" && flip) {
    const bool was = filling_;
    filling_ = true;
    mode_->setCurrentIndex(1);
    filling_ = was;
    show(bit_, false);
    show(value_, true);
  }
  for (const auto& s : stages_)
    if (QString::fromStdString(s.value("name", "")) == layer_->currentText())
      for (const auto& w : s["weights"])
        if (QString::fromStdString(w["name"].get<std::string>()) == tensor_->currentText() && weights)
          index_->setMaximum(static_cast<int>(w["numel"].get<int64_t>() - 1));
}

json FaultExplorer::fault() const {
  if (!replay_.is_null()) return replay_;
  const bool weights = target_->currentData().toString() == "weights";
  json f = {{"target", weights ? "weights" : "activations"}, {"layer", layer_->currentText().toStdString()}};
  if (weights) {
    f["tensor"] = tensor_->currentText().toStdString();
    f["index"] = index_->value();
  } else {
    const QString where = where_->currentData().toString();
    if (where == "element") f["element"] = element_->value();
    if (where == "channel") f["channel"] = channel_->value();
    if (where == "pixel") f["pixel"] = {row_->value(), column_->value()};
  }
  if (mode_->currentData().toString() == "bit")
    f["bit"] = bit_->value();
  else
    f["value"] = value_->value();
  return f;
}

void FaultExplorer::set_fault(const json& fault) {
  if (fault.is_object() && fault.contains("replay")) {
    replay(fault["replay"].value("run", 0), fault["replay"].value("trial", 0));
    return;
  }
  filling_ = true;
  replay_ = json();
  const bool weights = fault.value("target", "weights") == "weights";
  target_->setCurrentIndex(weights ? 0 : 1);
  filling_ = false;
  fill_stages(stages_);
  filling_ = true;
  layer_->setCurrentIndex(layer_->findText(QString::fromStdString(fault.value("layer", ""))));
  filling_ = false;
  fill_tensors();
  filling_ = true;
  if (weights) {
    const QString t = QString::fromStdString(fault.value("tensor", "weight"));
    for (int i = 0; i < tensor_->count(); ++i)
      if (tensor_->itemText(i) == t || tensor_->itemText(i).endsWith("." + t)) {
        tensor_->setCurrentIndex(i);
        break;
      }
    filling_ = false;
    update_fault_controls();
    filling_ = true;
    index_->setValue(fault.value("index", 0));
  } else {
    if (fault.contains("element")) where_->setCurrentIndex(0), element_->setValue(fault["element"].get<int>());
    if (fault.contains("channel")) where_->setCurrentIndex(1), channel_->setValue(fault["channel"].get<int>());
    if (fault.contains("pixel"))
      where_->setCurrentIndex(2), row_->setValue(fault["pixel"][0].get<int>()),
          column_->setValue(fault["pixel"][1].get<int>());
  }
  if (fault.contains("bit")) {
    mode_->setCurrentIndex(0);
    bit_->setValue(fault["bit"].get<int>());
  } else {
    mode_->setCurrentIndex(1);
    value_->setValue(fault.value("value", 0.0));
  }
  filling_ = false;
  update_fault_controls();
  request_update();
}

void FaultExplorer::replay(qint64 run, qint64 trial) {
  filling_ = true;
  run_->setValue(static_cast<int>(run));
  trial_->setValue(static_cast<int>(trial));
  filling_ = false;
  replay_ = {{"replay", {{"run", run}, {"trial", trial}}}};
  request_update();
}

void FaultExplorer::set_image(int index) {
  image_ = index;
  filling_ = true;
  for (int r = 0; r < images_->count(); ++r)
    if (images_->item(r)->data(Qt::UserRole).toInt() == index) images_->setCurrentRow(r);
  filling_ = false;
  request_update();
}

void FaultExplorer::set_scheme_enabled(int index, bool on) {
  if (QListWidgetItem* item = schemes_->item(index)) item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
}

void FaultExplorer::set_tmr_on_fault_layer(bool on) { tmr_here_->setChecked(on); }

json FaultExplorer::protection() const {
  json p = json::array();
  for (int i = 0; i < schemes_->count(); ++i)
    if (schemes_->item(i)->checkState() == Qt::Checked)
      p.push_back(json::parse(schemes_->item(i)->text().toStdString()));
  if (tmr_here_->isChecked()) {
    std::string layer = layer_->currentText().toStdString();
    if (!replay_.is_null() && result_.contains("fault")) layer = result_["fault"].value("layer", layer);
    p.push_back({{"scheme", "tmr"}, {"layers", {layer}}});
  }
  return p;
}

void FaultExplorer::apply_preset(const json& preset) {
  if (!open_) {
    pending_preset_ = preset;
    return;
  }
  filling_ = true;
  if (preset.contains("image")) image_ = preset["image"].get<int>();
  if (preset.contains("protection") && preset["protection"].is_array()) {
    schemes_->clear();
    for (const auto& s : preset["protection"]) {
      auto* item = new QListWidgetItem(QString::fromStdString(s.dump()));
      item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
      item->setCheckState(Qt::Checked);
      schemes_->addItem(item);
    }
  }
  if (preset.contains("stage") && preset["stage"].is_string()) {
    const int i = stage_->findText(QString::fromStdString(preset["stage"].get<std::string>()));
    if (i >= 0) stage_->setCurrentIndex(i);
  }
  filling_ = false;
  set_image(image_);
  if (preset.contains("fault")) set_fault(preset["fault"]);
}

void FaultExplorer::set_filter(Filter filter, int cls) {
  filling_ = true;
  class_->setCurrentIndex(cls);
  filling_ = false;
  filter_->setCurrentIndex(static_cast<int>(filter));
  refill_images();
}

QList<int> FaultExplorer::shown_images() const {
  QList<int> out;
  for (int r = 0; r < images_->count(); ++r) out << images_->item(r)->data(Qt::UserRole).toInt();
  return out;
}

QString FaultExplorer::class_name(int64_t c) const {
  const auto& classes = info_.value("classes", json::array());
  return c >= 0 && c < static_cast<int64_t>(classes.size()) ? QString::fromStdString(classes[c].get<std::string>())
                                                            : QString::number(c);
}

void FaultExplorer::refill_images() {
  if (!open_) return;
  const auto filter = static_cast<Filter>(filter_->currentIndex());
  const auto& labels = info_["labels"];
  const auto& golden = info_["golden"];
  filling_ = true;
  images_->clear();
  for (int i = 0; i < thumbs_.size(); ++i) {
    const int64_t label = labels[i].get<int64_t>(), pred = golden[i].get<int64_t>();
    if (filter == Filter::Misclassified && label == pred) continue;
    if (filter == Filter::Flipped && !flipped_.contains(i)) continue;
    if (filter == Filter::Class && label != class_->currentIndex()) continue;
    auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(thumbs_[i].scaled(56, 56))), QString::number(i));
    item->setData(Qt::UserRole, i);
    item->setToolTip(tr("image %1: %2, predicted %3").arg(i).arg(class_name(label), class_name(pred)));
    images_->addItem(item);
    if (i == image_) images_->setCurrentItem(item);
  }
  filling_ = false;
}

void FaultExplorer::request_update() {
  if (!open_ || filling_) return;
  json request = {{"image", image_}, {"fault", fault()}, {"protection", protection()}, {"stage", nullptr}};
  if (stage_->currentData().toInt() != kFaultyStage) request["stage"] = stage_->currentText().toStdString();
  latest_ = next_id_++;
  ExplorerWorker* w = worker_;
  const quint64 id = latest_;
  status_->setText(tr("computing…"));
  QMetaObject::invokeMethod(
      w, [w, request, id] { w->explain(request, id); }, Qt::QueuedConnection);
}

void FaultExplorer::on_explained(quint64 id, const json& result) {
  if (result.contains("stage_list")) fill_stages(result["stage_list"]);
  if (id != latest_) return;  // superseded by a newer request
  result_ = result;
  error_->clear();
  show_result();
  Q_EMIT updated();
}

void FaultExplorer::on_failed(quint64 id, const QString& error) {
  if (id == open_request_) opening_ = false;
  if (id != open_request_ && id != latest_ && id != flipped_request_) return;
  error_->setText(error);
  status_->clear();
  Q_EMIT failed(error);
}

void FaultExplorer::show_result() {
  const json& r = result_;
  auto top = [this](const json& list) {
    QStringList parts;
    for (const auto& t : list)
      parts << QString("%1 %2 %")
                   .arg(class_name(t["class"].get<int64_t>()))
                   .arg(100 * t["probability"].get<double>(), 0, 'f', 1);
    return parts.join(", ");
  };
  const int64_t label = r.value("label", int64_t{-1});
  const int64_t g = r["golden_prediction"].get<int64_t>(), f = r["faulty_prediction"].get<int64_t>();
  golden_label_->setText(tr("<b>Image %1</b> (label %2)<br><b>Golden:</b> %3<br><small>top 5: %4</small>")
                             .arg(r.value("image", 0))
                             .arg(class_name(label), class_name(g), top(r["golden_top"])));
  const QString colour = f == g ? "#1b7837" : "#b00020";
  faulty_label_->setText(
      tr("<b>Faulty:</b> <span style='color:%1'>%2</span> %3<br><small>top 5: %4</small>")
          .arg(colour, class_name(f), f == g ? tr("(unchanged)") : tr("(changed)"), top(r["faulty_top"])));
  word_->set_word(r.value("word", json()));
  if (r.contains("word")) bit_->setMaximum(r["word"]["bits"].get<int>() - 1);
  propagation_->set_stages(r["stages"]);
  QStringList classes;
  for (const auto& c : info_["classes"]) classes << QString::fromStdString(c.get<std::string>());
  QVector<double> gp, fp;
  for (const auto& p : r["probabilities"]["golden"]) gp << p.get<double>();
  for (const auto& p : r["probabilities"]["faulty"]) fp << p.get<double>();
  probs_->set_probabilities(classes, gp, fp);
  const QString old_stage = maps_->stage();
  maps_->set_maps(r["maps"]);
  filling_ = true;
  map_channel_->setMaximum(std::max(0, maps_->channels() - 1));
  if (maps_->stage() != old_stage || replay_.is_object()) map_channel_->setValue(r.value("worst_channel", 0));
  maps_->set_channel(map_channel_->value());
  filling_ = false;
  checkers_->setRowCount(0);
  for (const auto& c : r["checkers"]) {
    const int row = checkers_->rowCount();
    checkers_->insertRow(row);
    const int64_t in = c["corrupted_in"].get<int64_t>(), out = c["corrupted_out"].get<int64_t>();
    QString verdict = in == 0    ? tr("nothing to check")
                      : out == 0 ? tr("corrected")
                      : out < in ? tr("reduced")
                                 : tr("missed");
    if (c.contains("counts"))
      verdict += tr(" (detected %1, corrected %2)")
                     .arg(c["counts"].value("detected", 0))
                     .arg(c["counts"].value("corrected", 0));
    const QStringList cells = {QString::fromStdString(c["stage"].get<std::string>()), QString::number(in),
                               QString::number(out), verdict};
    for (int k = 0; k < 4; ++k) checkers_->setItem(row, k, new QTableWidgetItem(cells[k]));
  }
  QString what = QString::fromStdString(r.value("site", ""));
  if (r["fault"].contains("replayed_from"))
    what += tr(" (run %1, trial %2)")
                .arg(r["fault"]["replayed_from"].value("run", 0))
                .arg(r["fault"]["replayed_from"].value("trial", 0));
  status_->setText(
      tr("%1 — updated in %2 ms on the engine thread").arg(what).arg(r.value("elapsed_ms", 0.0), 0, 'f', 1));
}

}  // namespace faultscape::gui
