#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>

#include "ber_plot.h"
#include "engine_bridge.h"
#include "engine_worker.h"
#include "experiments_panel.h"
#include "fat_scatter_plot.h"
#include "fault_explorer.h"
#include "fault_panel.h"
#include "figures.h"
#include "heatmap_plot.h"
#include "json_form.h"
#include "lesson_pane.h"
#include "live_plots.h"
#include "model_panel.h"
#include "no_project_page.h"
#include "pareto_plot.h"
#include "presentation.h"
#include "project_document.h"
#include "results_browser.h"
#include "run_controller.h"
#include "run_panel.h"
#include "store/result_store.h"
#include "training_plot.h"
#include "window_geometry.h"

namespace faultscape::gui {

using nlohmann::json;

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), doc_(new ProjectDocument(this)) {
  setObjectName("MainWindow");
  runs_ = new RunController(this);

  build_views();
  build_menus();
  connect_worker();

  validate_timer_.setSingleShot(true);
  validate_timer_.setInterval(150);
  connect(&validate_timer_, &QTimer::timeout, this, &MainWindow::validate_now);
  summary_timer_.setSingleShot(true);
  summary_timer_.setInterval(300);
  connect(&summary_timer_, &QTimer::timeout, this, &MainWindow::request_summary);

  connect(doc_, &ProjectDocument::changed, this, [this](const QString& pointer) {
    validate_timer_.start();
    const QString exp = QString("/experiments/%1").arg(experiments_->current());
    if (pointer == "/experiments" || pointer == exp || pointer.startsWith(exp + "/model") ||
        pointer.startsWith(exp + "/dataset") || pointer.startsWith(exp + "/load") ||
        pointer.startsWith(exp + "/training/seed"))
      summary_timer_.start();
    results_->set_database(database_path());
    sync_explorer();
  });
  connect(doc_, &ProjectDocument::reloaded, this, [this] {
    validate_timer_.start();
    summary_timer_.start();
    results_->set_database(database_path());
    update_title();
    sync_explorer();
  });
  connect(doc_, &ProjectDocument::path_changed, this, &MainWindow::update_title);
  connect(doc_->undo_stack(), &QUndoStack::cleanChanged, this, &MainWindow::update_title);
  connect(experiments_, &ExperimentsPanel::current_changed, this, &MainWindow::experiment_selected);

  restore_window(this);
  set_has_project(false);
  update_recent_menu();
  statusBar()->showMessage(tr("Ready"));
}

MainWindow::~MainWindow() = default;  // runs_ (a child) cancels the job and joins the engine thread

void MainWindow::add_view(const QString& name, const QString& title, QWidget* w) {
  w->setObjectName(name);
  views_ << qMakePair(name, w);
  tabs_->addTab(w, title);
}

void MainWindow::build_views() {
  tabs_ = new QTabWidget;
  tabs_->setDocumentMode(true);
  no_project_ = new NoProjectPage;
  connect(no_project_, &NoProjectPage::new_requested, this, &MainWindow::new_project);
  connect(no_project_, &NoProjectPage::open_requested, this, &MainWindow::open_dialog);
  central_ = new QStackedWidget;
  central_->addWidget(no_project_);
  central_->addWidget(tabs_);
  setCentralWidget(central_);
  model_ = new ModelPanel(doc_);
  faults_ = new FaultPanel(doc_);
  plots_ = new LivePlots(this);
  plots_->training = new widgets::TrainingPlot;
  plots_->scatter = new widgets::FatScatterPlot;
  plots_->heatmap = new widgets::HeatmapPlot;
  plots_->ber = new widgets::BerPlot;
  plots_->pareto = new widgets::ParetoPlot;
  results_ = new ResultsBrowser;
  explorer_ = new FaultExplorer(runs_->engine_thread());
  add_view("model", tr("Model"), model_);
  add_view("faults", tr("Faults && campaign"), faults_);
  add_view("training", tr("Training"), plots_->training);
  add_view("fat_scatter", tr("Stuck-at scatter"), plots_->scatter);
  add_view("heatmap", tr("Heat map"), plots_->heatmap);
  add_view("ber", tr("BER sweep"), plots_->ber);
  add_view("pareto", tr("Pareto"), plots_->pareto);
  add_view("results", tr("Results"), results_);
  add_view("explorer", tr("Fault explorer"), explorer_);
  connect(results_, &ResultsBrowser::open_runs, this, &MainWindow::open_runs);
  connect(plots_->pareto, &widgets::ParetoPlot::run_clicked, this, [this](qint64 run) {
    show_view("results");
    for (int r = 0; r < results_->table()->rowCount(); ++r)
      if (results_->table()->item(r, 0)->data(Qt::DisplayRole).toLongLong() == run) results_->table()->selectRow(r);
  });

  experiments_ = new ExperimentsPanel(doc_);
  auto* left = new QDockWidget(tr("Project"), this);
  left->setObjectName("ProjectDock");
  left->setWidget(experiments_);
  addDockWidget(Qt::LeftDockWidgetArea, left);
  run_ = new RunPanel;
  auto* bottom = new QDockWidget(tr("Run"), this);
  bottom->setObjectName("RunDock");
  bottom->setWidget(run_);
  addDockWidget(Qt::BottomDockWidgetArea, bottom);
  lesson_ = new LessonPane;
  auto* lesson = new QDockWidget(tr("Lesson"), this);
  lesson->setObjectName("LessonDock");
  lesson->setWidget(lesson_);
  addDockWidget(Qt::RightDockWidgetArea, lesson);
  lesson->hide();  // shown when a lesson is opened
  connect(lesson_, &LessonPane::preset_requested, this, [this](const json& preset) {
    show_view("explorer");
    explorer_->apply_preset(preset);
  });
  connect(run_, &RunPanel::start_requested, this, &MainWindow::start_run);
  connect(run_, &RunPanel::run_all_requested, this, &MainWindow::start_all);
  connect(run_, &RunPanel::cancel_requested, this, &MainWindow::cancel_run);
  connect(run_, &RunPanel::pause_requested, this, [this](bool paused) { runs_->set_paused(paused); });
}

void MainWindow::build_menus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&New project"), QKeySequence::New, this, &MainWindow::new_project);
  file->addAction(tr("&Open…"), QKeySequence::Open, this, &MainWindow::open_dialog);
  recent_menu_ = file->addMenu(tr("Open &recent"));
  file->addAction(tr("&Save"), QKeySequence::Save, this, &MainWindow::save);
  file->addAction(tr("Save &as…"), QKeySequence::SaveAs, this, &MainWindow::save_as);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  QAction* undo = doc_->undo_stack()->createUndoAction(this, tr("&Undo"));
  undo->setShortcut(QKeySequence::Undo);
  QAction* redo = doc_->undo_stack()->createRedoAction(this, tr("&Redo"));
  redo->setShortcuts({QKeySequence::Redo, QKeySequence(Qt::CTRL | Qt::Key_Y)});
  edit->addAction(undo);
  edit->addAction(redo);

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  run->addAction(tr("&Start selected experiment"), QKeySequence(Qt::Key_F5), this, &MainWindow::start_run);
  run->addAction(tr("Run &all experiments"), QKeySequence(Qt::CTRL | Qt::Key_F5), this, &MainWindow::start_all);
  run->addAction(tr("&Pause / resume"), QKeySequence(Qt::Key_F6), this, [this] {
    if (runs_->running()) run_->pause_button()->toggle();
  });
  run->addAction(tr("&Cancel"), QKeySequence(Qt::SHIFT | Qt::Key_F5), this, &MainWindow::cancel_run);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  for (int i = 0; i < views_.size(); ++i) {
    const QString name = views_[i].first;
    view->addAction(tabs_->tabText(i).replace("&&", "&"), QKeySequence(Qt::CTRL | (Qt::Key_1 + i)), this,
                    [this, name] { show_view(name); });
  }
  view->addSeparator();
  for (QDockWidget* d : findChildren<QDockWidget*>()) view->addAction(d->toggleViewAction());
  view->addSeparator();
  view->addAction(tr("&Export current figure…"), QKeySequence(Qt::CTRL | Qt::Key_E), this, [this] {
    if (auto* p = qobject_cast<widgets::PlotView*>(tabs_->currentWidget()))
      p->export_interactively();
    else
      statusBar()->showMessage(tr("The current tab is not a figure"), 3000);
  });
  presentation_action_ = view->addAction(tr("&Presentation mode (large fonts, thick lines)"), this,
                                         [this](bool on) { doc_->set("/presentation", on, tr("Presentation mode")); });
  presentation_action_->setCheckable(true);
  view->addAction(tr("&Clear figures"), this, [this] {
    for (const auto& v : views_)
      if (auto* p = qobject_cast<widgets::PlotView*>(v.second)) p->clear();
  });
}

void MainWindow::connect_worker() {
  EngineWorker* worker = runs_->worker();
  connect(worker, &EngineWorker::started, run_, &RunPanel::on_started);
  connect(worker, &EngineWorker::progress, run_, &RunPanel::on_progress);
  connect(worker, &EngineWorker::log, run_, &RunPanel::append_log);
  connect(worker, &EngineWorker::results, plots_, &LivePlots::on_results);
  connect(worker, &EngineWorker::progress, plots_, &LivePlots::on_progress);
  connect(worker, &EngineWorker::model_reused, this, &MainWindow::show_reused_training);
  connect(worker, &EngineWorker::started, this,
          [this](const QString&, const QString& db) { results_->set_database(db); });
  connect(runs_, &RunController::run_ended, this, [this](const QString& how, const json& out) {
    if (how == "finished")
      statusBar()->showMessage(tr("Finished: accuracy %1 %").arg(out["evaluation"].value("accuracy", 0.0), 0, 'f', 2));
    run_->on_ended(how);
    plots_->end();
    results_->set_running(false);
    results_->refresh();
    if (how == "finished") {
      // Next experiment of the queue.
      const int index = experiments_->names().indexOf(runs_->take_next());
      if (index >= 0) {
        experiments_->select(index);
        start_run();
        return;
      }
    }
    runs_->clear_queue();
    Q_EMIT run_ended(how);
  });
  connect(worker, &EngineWorker::failed, this, [this](const QString& error) {
    // Window-modal and non-blocking: the application keeps running underneath.
    auto* box = new QMessageBox(QMessageBox::Critical, tr("Run failed"), error, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName("error_dialog");
    box->open();
  });
  connect(worker, &EngineWorker::summary_ready, this, [this](quint64 request, const json& s) {
    if (request != summary_request_) return;  // a newer request is on its way
    model_->show_summary(s);
    QStringList names;
    for (const auto& st : s.value("stages", json::array())) names << QString::fromStdString(st.value("name", ""));
    faults_->set_stage_names(names);
    model_->set_stage_names(names);
  });
  connect(worker, &EngineWorker::summary_failed, this, [this](quint64 request, const QString& error) {
    if (request == summary_request_) model_->show_summary_error(error);
  });
  connect(plots_, &LivePlots::figure_active, this, [this](const QString& name) {
    // Bring the live figure forward when the user is not editing.
    const QString current = tabs_->currentWidget() ? tabs_->currentWidget()->objectName() : QString();
    if (current == "training" || current == "model" || current == "faults")
      if (current != name && runs_->running()) show_view(name);
  });
}

QWidget* MainWindow::view(const QString& name) const {
  for (const auto& v : views_)
    if (v.first == name) return v.second;
  return nullptr;
}

QStringList MainWindow::view_names() const {
  QStringList names;
  for (const auto& v : views_) names << v.first;
  return names;
}

void MainWindow::show_view(const QString& name) {
  if (QWidget* w = view(name)) tabs_->setCurrentWidget(w);
}

QString MainWindow::database_path() const {
  const json& d = doc_->data();
  const QString dir = QString::fromStdString(d.value("output_dir", std::string("results")));
  const QString name = QString::fromStdString(d.value("name", std::string("default")));
  return QDir(dir).filePath(name + ".sqlite");
}

void MainWindow::validate_now() {
  validate_timer_.stop();
  problems_ = validate_project(doc_->data());
  int shown = experiments_->project_form()->show_problems(problems_);
  for (JsonForm* f : model_->forms()) shown += f->show_problems(problems_);
  for (JsonForm* f : faults_->forms()) shown += f->show_problems(problems_);
  faults_->show_protection_problems(problems_);
  if (problems_.isEmpty())
    statusBar()->showMessage(tr("Project valid"), 3000);
  else
    statusBar()->showMessage(
        tr("%n problem(s) in the project; see the red notes (first: %1)", "", problems_.size()).arg(problems_.front()));
}

void MainWindow::sync_explorer() {
  const json& d = doc_->data();
  const bool presentation = d.value("presentation", false);
  if (presentation != widgets::presentation()) {
    widgets::set_presentation(presentation);
    widgets::refresh_figures(this);
  }
  if (presentation_action_) presentation_action_->setChecked(presentation);
  const json lesson = d.value("lesson", json());
  if (lesson != lesson_->lesson()) {
    lesson_->set_lesson(lesson);
    if (auto* dock = findChild<QDockWidget*>("LessonDock")) dock->setVisible(lesson_->has_lesson());
    if (lesson_->has_lesson()) {
      nlohmann::json preset = nlohmann::json::object();
      for (const char* key : {"image", "fault", "protection", "stage"})
        if (lesson.contains(key)) preset[key] = lesson[key];
      explorer_->apply_preset(preset);
    }
  }
  explorer_->set_experiment(d, doc_->path(), experiments_->current_name());
}

void MainWindow::experiment_selected(int index) {
  if (index < 0) return;
  sync_explorer();
  model_->set_experiment(index);
  faults_->set_experiment(index);
  summary_timer_.start();
  validate_timer_.start();
}

void MainWindow::request_summary() {
  const int index = experiments_->current();
  if (index < 0) return;
  const quint64 request = ++summary_request_;
  model_->show_pending();
  runs_->summarize(doc_->data(), index, request);
}

bool MainWindow::has_project() const { return central_->currentWidget() == tabs_; }

void MainWindow::set_has_project(bool on) {
  central_->setCurrentWidget(on ? static_cast<QWidget*>(tabs_) : no_project_);
  experiments_->setEnabled(on);
}

void MainWindow::show_message(const QString& object_name, const QString& title, const QString& text) {
  auto* box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->setObjectName(object_name);
  box->setTextInteractionFlags(Qt::TextSelectableByMouse);
  box->open();
}

void MainWindow::start_run() {
  if (runs_->running()) return;
  // Never a silent no-op: say why nothing starts.
  if (!has_project()) {
    show_message("start_refused", tr("No project is open"),
                 tr("Open a project (File ▸ Open) or create one (File ▸ New project) first."));
    return;
  }
  if (experiments_->current_name().isEmpty()) {
    show_message("start_refused", tr("No experiment selected"),
                 tr("Select an experiment in the Project dock (or add one) first."));
    return;
  }
  validate_now();
  if (!problems_.isEmpty()) {
    auto* box = new QMessageBox(QMessageBox::Warning, tr("The project has problems"),
                                tr("Fix these before running:\n") + problems_.join("\n"), QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    return;
  }
  const QString name = experiments_->current_name();
  plots_->begin(name);
  run_->on_started(name, QString());
  results_->set_running(true);
  runs_->start(doc_->data(), doc_->path(), name, run_->retrain());
}

void MainWindow::start_all() {
  if (runs_->running()) return;
  runs_->set_queue(experiments_->names());
  const QString first = runs_->take_next();
  if (first.isEmpty()) return;
  experiments_->select(experiments_->names().indexOf(first));
  start_run();
  if (!runs_->running()) runs_->clear_queue();  // the project has problems
}

void MainWindow::cancel_run() {
  if (!runs_->cancel()) return;
  run_->append_log(tr("cancelling after the current batch…"));
}

void MainWindow::show_reused_training(const QString& model_path) {
  // A run that reuses an earlier model trains nothing: show that model's training curve instead.
  if (!QFileInfo::exists(results_->database())) return;
  const std::string model = model_path.toStdString();
  try {
    ResultStore store(results_->database().toStdString(), ResultStore::Access::read_only);
    for (const RunRow& r : store.runs({"", "train", "complete"}))
      if (r.summary.is_object() && r.summary.value("model_path", "") == model) {
        json metrics = json::array();
        for (const auto& m : store.metrics(r.id)) metrics.push_back(to_json(m));
        widgets::feed_run(plots_->training, to_json(r), json::array(), metrics);
      }
  } catch (const std::exception& e) {
    run_->append_log(tr("cannot read the earlier training curve: %1").arg(e.what()));
  }
}

void MainWindow::open_runs(const json& runs) {
  for (const auto& r : runs) {
    const json& run = r["run"];
    QString last;
    for (const QString& name : widgets::figures_for_run(run) + QStringList{"pareto"})
      if (auto* p = qobject_cast<widgets::PlotView*>(view(name)))
        if (widgets::feed_run(p, run, r["trials"], r["metrics"]) && last.isEmpty()) last = name;
    if (!last.isEmpty()) show_view(last);
  }
}

bool MainWindow::open_project(const QString& path, bool quiet) {
  QString error;
  if (!doc_->open(path, &error)) {
    const QString kept = has_project() ? tr("The project open before stays open.")
                                       : tr("No project is open: create one (File ▸ New project) or open another.");
    if (!has_project()) no_project_->set_reason(error);
    if (!quiet) show_message("open_error", tr("Cannot open project"), error + "\n\n" + kept);
    return false;
  }
  set_has_project(true);
  add_recent(QFileInfo(path).absoluteFilePath());
  experiments_->select(0);
  statusBar()->showMessage(tr("Opened %1").arg(path), 3000);
  const int count = experiments_->names().size();
  run_->append_log(
      tr("opened %1: %n experiment(s); Start (F5) runs the selected one, Run all (Ctrl+F5) each in turn", "", count)
          .arg(QFileInfo(path).fileName()));
  return true;
}

void MainWindow::new_project() {
  if (!maybe_save()) return;
  doc_->reset(new_project_json(), QString());
  set_has_project(true);
  experiments_->select(0);
}

void MainWindow::open_dialog() {
  if (!maybe_save()) return;
  QString path = QFileDialog::getOpenFileName(this, tr("Open project"), QFileInfo(doc_->path()).path(),
                                              tr("Project files (*.json);;All files (*)"));
  if (!path.isEmpty()) open_project(path);
}

bool MainWindow::save() {
  if (doc_->path().isEmpty()) return save_as();
  QString error;
  if (!doc_->save(doc_->path(), &error)) {
    QMessageBox::warning(this, tr("Cannot save"), error);
    return false;
  }
  statusBar()->showMessage(tr("Saved %1").arg(doc_->path()), 3000);
  return true;
}

bool MainWindow::save_as() {
  QString path = QFileDialog::getSaveFileName(this, tr("Save project"), doc_->path(), tr("Project files (*.json)"));
  if (path.isEmpty()) return false;
  if (QFileInfo(path).suffix().isEmpty()) path += ".json";
  QString error;
  if (!doc_->save(path, &error)) {
    QMessageBox::warning(this, tr("Cannot save"), error);
    return false;
  }
  add_recent(QFileInfo(path).absoluteFilePath());
  return true;
}

bool MainWindow::maybe_save() {
  if (!doc_->modified() || !confirm_close_) return true;
  auto answer = QMessageBox::question(this, tr("Unsaved changes"), tr("Save the changes to the project?"),
                                      QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
  if (answer == QMessageBox::Save) return save();
  return answer == QMessageBox::Discard;
}

void MainWindow::add_recent(const QString& path) {
  QSettings s;
  QStringList list = s.value("recentFiles").toStringList();
  list.removeAll(path);
  list.prepend(path);
  while (list.size() > 8) list.removeLast();
  s.setValue("recentFiles", list);
  update_recent_menu();
}

void MainWindow::update_recent_menu() {
  if (!recent_menu_) return;
  recent_menu_->clear();
  const QStringList list = QSettings().value("recentFiles").toStringList();
  for (const QString& path : list)
    recent_menu_->addAction(path, this, [this, path] {
      if (maybe_save()) open_project(path);
    });
  recent_menu_->setEnabled(!list.isEmpty());
}

void MainWindow::update_title() {
  const QString name = doc_->path().isEmpty() ? tr("untitled project") : QFileInfo(doc_->path()).fileName();
  setWindowTitle(tr("%1[*] — Faultscape").arg(name));
  setWindowModified(doc_->modified());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (runs_->running() && confirm_close_) {
    const auto answer = QMessageBox::question(
        this, tr("A run is in progress"),
        tr("Stop the run and quit? What it measured so far stays in the database, marked cancelled; "
           "starting the experiment again resumes it."),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes) {
      event->ignore();
      return;
    }
  }
  if (!maybe_save()) {
    event->ignore();
    return;
  }
  runs_->cancel();
  save_window(this);
  event->accept();
}

}  // namespace faultscape::gui
