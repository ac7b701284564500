// The workbench window: experiments (left dock), the model and fault/campaign editors and the live
// figures (central tabs), the results browser, and the run panel (bottom dock). It owns the
// project document; its RunController owns the engine worker, its thread and the run queue.
#pragma once
#include <nlohmann/json.hpp>

#include <QMainWindow>
#include <QTimer>

class QAction;
class QMenu;
class QStackedWidget;
class QTabWidget;

namespace faultscape::widgets {
class PlotView;
}

namespace faultscape::gui {

class RunController;
class ExperimentsPanel;
class FaultExplorer;
class FaultPanel;
class LessonPane;
class LivePlots;
class ModelPanel;
class NoProjectPage;
class ProjectDocument;
class ResultsBrowser;
class RunPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Opens a project file; false when it cannot be read: a dialog (unless quiet) gives the reader's
  // message (line and column of a JSON error) and the project open before stays open.
  bool open_project(const QString& path, bool quiet = false);
  // Whether a project is open: false until the first successful open or New project; meanwhile
  // the central area says so instead of showing forms bound to no project.
  bool has_project() const;
  NoProjectPage* no_project_page() const { return no_project_; }
  ProjectDocument* document() const { return doc_; }
  ExperimentsPanel* experiments() const { return experiments_; }
  ModelPanel* model_panel() const { return model_; }
  FaultPanel* fault_panel() const { return faults_; }
  RunPanel* run_panel() const { return run_; }
  LivePlots* plots() const { return plots_; }
  ResultsBrowser* results() const { return results_; }
  FaultExplorer* explorer() const { return explorer_; }
  LessonPane* lesson_pane() const { return lesson_; }
  QTabWidget* tabs() const { return tabs_; }
  // The tab showing a figure or view by name ("model", "faults", "training", "fat_scatter", ...).
  QWidget* view(const QString& name) const;
  void show_view(const QString& name);
  QStringList view_names() const;
  // The problems of the last validation.
  QStringList problems() const { return problems_; }
  // Where the current project's results go (<output_dir>/<name>.sqlite).
  QString database_path() const;
  // Off in tests and screenshots: no "save changes?" or "stop the run?" question on close.
  void set_confirm_close(bool on) { confirm_close_ = on; }

 public Q_SLOTS:
  void start_run();
  // Runs every experiment of the project in turn (a queue); cancel stops the queue too.
  void start_all();
  void cancel_run();
  void validate_now();

 Q_SIGNALS:
  void run_ended(const QString& how);  // finished | cancelled | failed

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void build_menus();
  void build_views();
  void connect_worker();
  void new_project();
  void open_dialog();
  bool save();
  bool save_as();
  bool maybe_save();
  void add_recent(const QString& path);
  void update_recent_menu();
  void update_title();
  void experiment_selected(int index);
  void request_summary();
  void open_runs(const nlohmann::json& runs);
  void show_reused_training(const QString& model_path);
  void add_view(const QString& name, const QString& title, QWidget* w);
  void set_has_project(bool on);
  // The explorer on the selected experiment, the lesson pane and presentation mode from the document.
  void sync_explorer();
  // A window-modal message that does not block the caller (tests and screenshots keep running).
  void show_message(const QString& object_name, const QString& title, const QString& text);

  ProjectDocument* doc_;
  RunController* runs_;
  ExperimentsPanel* experiments_;
  ModelPanel* model_;
  FaultPanel* faults_;
  RunPanel* run_;
  LivePlots* plots_;
  ResultsBrowser* results_;
  FaultExplorer* explorer_;
  LessonPane* lesson_;
  QAction* presentation_action_ = nullptr;
  QTabWidget* tabs_;
  QStackedWidget* central_;
  NoProjectPage* no_project_;
  QList<QPair<QString, QWidget*>> views_;
  QMenu* recent_menu_ = nullptr;
  QTimer validate_timer_, summary_timer_;
  QStringList problems_;
  quint64 summary_request_ = 0;
  bool confirm_close_ = true;
};

}  // namespace faultscape::gui
