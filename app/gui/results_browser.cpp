#include "results_browser.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include "store/result_store.h"

namespace faultscape::gui {

using nlohmann::json;

namespace {

// The few numbers that characterise a run, for the table.
// Changes whenever SQLite commits to the database (WAL mode commits to the -wal file first).
QString change_stamp(const QString& db) {
  QString stamp;
  for (const QString& f : {db, db + "-wal"}) {
    const QFileInfo info(f);
    if (info.exists()) stamp += QString("%1@%2;").arg(info.size()).arg(info.lastModified().toMSecsSinceEpoch());
  }
  return stamp;
}

QString summary_line(const RunRow& r) {
  const json& s = r.summary;
  if (!s.is_object()) return r.error.empty() ? QString() : QString::fromStdString(r.error);
  if (r.kind == "train") return QString("test accuracy %1 %").arg(s.value("test_accuracy", 0.0), 0, 'f', 2);
  if (r.kind == "eval") return QString("accuracy %1 %").arg(s.value("accuracy", 0.0), 0, 'f', 2);
  if (r.kind == "stuck_sweep")
    return QString("%1 faults, worst drop %2, mean drop %3")
        .arg(s.value("faults", 0LL))
        .arg(s.value("worst_drop", 0.0), 0, 'f', 2)
        .arg(s.value("mean_drop", 0.0), 0, 'f', 2);
  if (r.kind == "ber_sweep") return QString("%1 rates").arg(s.value("points", json::array()).size());
  if (r.kind == "golden") return QString("accuracy %1 %").arg(s.value("accuracy", 0.0), 0, 'f', 2);
  return {};
}

}  // namespace

ResultsBrowser::ResultsBrowser(QWidget* parent) : QWidget(parent) {
  auto* box = new QVBoxLayout(this);
  path_ = new QLabel;
  box->addWidget(path_);
  auto* row = new QHBoxLayout;
  filter_ = new QLineEdit;
  filter_->setPlaceholderText(tr("filter: experiment, status, summary text…"));
  filter_->setClearButtonEnabled(true);
  kind_ = new QComboBox;
  kind_->addItems({tr("all kinds"), "train", "eval", "golden", "stuck_sweep", "ber_sweep"});
  row->addWidget(filter_, 1);
  row->addWidget(kind_);
  auto button = [&](const QString& text, const QString& tip) {
    auto* b = new QPushButton(text);
    b->setToolTip(tip);
    row->addWidget(b);
    return b;
  };
  connect(button(tr("Refresh"), tr("Read the database again")), &QPushButton::clicked, this, &ResultsBrowser::refresh);
  follow_ = new QCheckBox(tr("Follow"));
  follow_->setChecked(true);
  follow_->setToolTip(
      tr("Read the database again whenever it changes (checked every 2 s): runs written by another process "
         "(mpirun's rank 0, a merge of Slurm shards, another faultscape-cli) show their trials arriving"));
  row->addWidget(follow_);
  timer_ = new QTimer(this);
  timer_->setInterval(2000);
  connect(timer_, &QTimer::timeout, this, &ResultsBrowser::poll);
  connect(follow_, &QCheckBox::toggled, timer_, [this](bool on) { on ? timer_->start() : timer_->stop(); });
  timer_->start();
  connect(button(tr("Plot"), tr("Draw the selected runs in the figures")), &QPushButton::clicked, this,
          &ResultsBrowser::open_selected);
  connect(button(tr("Compare"), tr("Two selected runs side by side: configuration and summary")), &QPushButton::clicked,
          this, &ResultsBrowser::compare_selected);
  connect(button(tr("Export CSV…"), tr("The selected runs' trials and metrics as CSV files")), &QPushButton::clicked,
          this, &ResultsBrowser::export_selected);
  box->addLayout(row);
  table_ = new QTableWidget(0, 7);
  table_->setHorizontalHeaderLabels(
      {tr("run"), tr("experiment"), tr("kind"), tr("status"), tr("started (UTC)"), tr("trials"), tr("summary")});
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->setVisible(false);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSortingEnabled(true);
  detail_ = new QTextBrowser;
  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(table_);
  split->addWidget(detail_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  box->addWidget(split, 1);
  connect(filter_, &QLineEdit::textChanged, this, &ResultsBrowser::apply_filter);
  connect(kind_, &QComboBox::currentIndexChanged, this, &ResultsBrowser::apply_filter);
  connect(table_, &QTableWidget::itemDoubleClicked, this, &ResultsBrowser::open_selected);
  connect(table_, &QTableWidget::itemSelectionChanged, this, [this] {
    QList<qint64> ids = selected_ids();
    if (ids.size() == 1 && QFileInfo::exists(db_)) {
      try {
        ResultStore store(db_.toStdString(), ResultStore::Access::read_only);
        RunRow r = store.run(ids.front());
        json j = to_json(r);
        if (j["summary"].is_object()) j["summary"].erase("predictions");  // per-image data: thousands of numbers
        detail_->setPlainText(QString::fromStdString(j.dump(2)));
      } catch (const std::exception& e) {
        detail_->setPlainText(e.what());
      }
    }
  });
}

void ResultsBrowser::set_database(const QString& path) {
  if (path == db_) return;
  db_ = path;
  refresh();
}

void ResultsBrowser::set_running(bool running) {
  if (running == running_) return;
  running_ = running;
  refresh();
}

QString ResultsBrowser::detail_text() const { return detail_->toPlainText(); }

void ResultsBrowser::poll() {
  if (!follow_->isChecked() || db_.isEmpty() || change_stamp(db_) == last_change_) return;
  refresh();
}

void ResultsBrowser::refresh() {
  const QList<qint64> selected = selected_ids();  // kept across the reread
  last_change_ = change_stamp(db_);
  path_->setText(tr("Results database: %1").arg(db_.isEmpty() ? tr("(none)") : QFileInfo(db_).absoluteFilePath()));
  table_->setSortingEnabled(false);
  table_->setRowCount(0);
  if (db_.isEmpty() || !QFileInfo::exists(db_)) {
    detail_->setPlainText(running_ ? tr("A run is going: its runs and trials appear here as they are written to "
                                        "the database (the list follows it while Follow is ticked).")
                                   : tr("No results yet: start an experiment (F5) or run them all (Ctrl+F5)."));
    return;
  }
  detail_->setPlainText(tr("Select a run to see its configuration and summary, two to compare them."));
  try {
    ResultStore store(db_.toStdString(), ResultStore::Access::read_only);
    std::vector<RunRow> runs = store.runs();
    table_->setRowCount(static_cast<int>(runs.size()));
    int row = 0;
    for (auto it = runs.rbegin(); it != runs.rend(); ++it, ++row) {  // newest first
      const RunRow& r = *it;
      const bool campaign = r.kind == "stuck_sweep" || r.kind == "ber_sweep";
      auto* id = new QTableWidgetItem;
      id->setData(Qt::DisplayRole, static_cast<qlonglong>(r.id));
      table_->setItem(row, 0, id);
      table_->setItem(row, 1, new QTableWidgetItem(QString::fromStdString(r.experiment)));
      table_->setItem(row, 2, new QTableWidgetItem(QString::fromStdString(r.kind)));
      auto* status = new QTableWidgetItem(QString::fromStdString(r.status));
      if (r.status == "failed") status->setForeground(QColor(213, 94, 0));
      if (r.status == "cancelled") status->setForeground(QColor(0, 114, 178));
      if (r.status == "interrupted") {  // left running by a process that died: resumed by the next run
        status->setForeground(QColor(204, 121, 167));
        status->setToolTip(tr("The process writing this run (%1) has ended; running it again resumes it")
                               .arg(QString::fromStdString(r.owner.describe())));
      }
      table_->setItem(row, 3, status);
      table_->setItem(row, 4, new QTableWidgetItem(QString::fromStdString(r.started_at)));
      auto* trials = new QTableWidgetItem;
      trials->setData(Qt::DisplayRole, campaign ? static_cast<qlonglong>(store.completed_trials(r.id).size()) : 0);
      table_->setItem(row, 5, trials);
      table_->setItem(row, 6, new QTableWidgetItem(summary_line(r)));
    }
  } catch (const std::exception& e) {
    detail_->setPlainText(e.what());
  }
  table_->setSortingEnabled(true);
  table_->resizeColumnsToContents();
  apply_filter();
  for (int r = 0; r < table_->rowCount(); ++r)
    if (selected.contains(table_->item(r, 0)->data(Qt::DisplayRole).toLongLong()))
      table_->selectionModel()->select(table_->model()->index(r, 0),
                                       QItemSelectionModel::Select | QItemSelectionModel::Rows);
}

void ResultsBrowser::apply_filter() {
  const QString text = filter_->text().trimmed();
  const QString kind = kind_->currentIndex() == 0 ? QString() : kind_->currentText();
  for (int r = 0; r < table_->rowCount(); ++r) {
    bool show = kind.isEmpty() || table_->item(r, 2)->text() == kind;
    if (show && !text.isEmpty()) {
      bool any = false;
      for (int c = 0; c < table_->columnCount(); ++c)
        any = any || (table_->item(r, c) && table_->item(r, c)->text().contains(text, Qt::CaseInsensitive));
      show = any;
    }
    table_->setRowHidden(r, !show);
  }
}

int ResultsBrowser::visible_rows() const {
  int n = 0;
  for (int r = 0; r < table_->rowCount(); ++r) n += table_->isRowHidden(r) ? 0 : 1;
  return n;
}

QList<qint64> ResultsBrowser::selected_ids() const {
  QList<qint64> ids;
  for (const QModelIndex& i : table_->selectionModel()->selectedRows(0))
    ids << table_->item(i.row(), 0)->data(Qt::DisplayRole).toLongLong();
  return ids;
}

void ResultsBrowser::open_selected() {
  json runs = json::array();
  try {
    ResultStore store(db_.toStdString(), ResultStore::Access::read_only);
    for (qint64 id : selected_ids()) {
      json metrics = json::array(), trials = json::array();
      for (const auto& m : store.metrics(id)) metrics.push_back(to_json(m));
      for (const auto& t : store.trials(id)) trials.push_back(to_json(t));
      runs.push_back({{"run", to_json(store.run(id))}, {"trials", trials}, {"metrics", metrics}});
    }
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Cannot read the runs"), e.what());
    return;
  }
  if (!runs.empty()) Q_EMIT open_runs(runs);
}

void ResultsBrowser::compare_selected() {
  QList<qint64> ids = selected_ids();
  if (ids.size() != 2) {
    detail_->setPlainText(tr("Select exactly two runs to compare them."));
    return;
  }
  try {
    ResultStore store(db_.toStdString(), ResultStore::Access::read_only);
    json a = to_json(store.run(ids[0])), b = to_json(store.run(ids[1]));
    // Only what differs between the configurations, then both summaries.
    json diff = json::diff(a["config"], b["config"]);
    QString html = "<table border=1 cellpadding=4 style='border-collapse:collapse'><tr><th></th>";
    for (const json* r : {&a, &b})
      html += QString("<th>run %1 (%2, %3)</th>")
                  .arg((*r)["id"].get<qint64>())
                  .arg(QString::fromStdString((*r)["experiment"].get<std::string>()),
                       QString::fromStdString((*r)["kind"].get<std::string>()));
    html += "</tr>";
    for (const auto& d : diff) {
      const std::string path = d.value("path", "");
      const json::json_pointer p(path);
      auto cell = [&](const json& r) {
        const json& c = r["config"];
        return c.contains(p) ? QString::fromStdString(c.at(p).dump()).toHtmlEscaped() : QString("—");
      };
      html += QString("<tr><td>config%1</td><td>%2</td><td>%3</td></tr>")
                  .arg(QString::fromStdString(path).toHtmlEscaped(), cell(a), cell(b));
    }
    for (const char* key : {"status", "started_at", "ended_at"})
      html += QString("<tr><td>%1</td><td>%2</td><td>%3</td></tr>")
                  .arg(key, QString::fromStdString(a[key].dump()), QString::fromStdString(b[key].dump()));
    json sa = a["summary"], sb = b["summary"];
    for (json* s : {&sa, &sb})
      if (s->is_object()) s->erase("predictions");
    html += QString("<tr><td>summary</td><td><pre>%1</pre></td><td><pre>%2</pre></td></tr></table>")
                .arg(QString::fromStdString(sa.dump(1)).toHtmlEscaped(),
                     QString::fromStdString(sb.dump(1)).toHtmlEscaped());
    detail_->setHtml(html);
  } catch (const std::exception& e) {
    detail_->setPlainText(e.what());
  }
}

void ResultsBrowser::export_selected() {
  QList<qint64> ids = selected_ids();
  if (ids.isEmpty()) return;
  QString dir = QFileDialog::getExistingDirectory(this, tr("Export CSV into"));
  if (dir.isEmpty()) return;
  try {
    ResultStore store(db_.toStdString(), ResultStore::Access::read_only);
    QStringList files;
    for (qint64 id : ids)
      for (const auto& f : store.export_csv(id, dir.toStdString())) files << QString::fromStdString(f);
    detail_->setPlainText(tr("Wrote:\n") + files.join("\n"));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Export failed"), e.what());
  }
}

}  // namespace faultscape::gui
