// faultscape: the workbench window. Opens the project given on the command line, or the default
// teaching project, ready to run with one click (F5).
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QTimer>

#include "runtime/runtime.h"
#include "experiments_panel.h"
#include "main_window.h"
#include "screenshots.h"

namespace {

// The default project: resources/ of the working directory, else of the source tree it was built from.
QString default_project() {
  for (const QString& candidate : {QStringLiteral("resources/default_project.json"),
                                   QStringLiteral(FAULTSCAPE_SOURCE_DIR "/resources/default_project.json")})
    if (QFileInfo::exists(candidate)) return candidate;
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  faultscape::tune_process();
  QApplication app(argc, argv);
  QApplication::setOrganizationName("Faultscape");
  QApplication::setApplicationName("faultscape");
  QApplication::setApplicationVersion(QString::fromStdString(faultscape::code_version()));

  QCommandLineParser cli;
  cli.setApplicationDescription("Faultscape workbench: fault injection and protection of neural networks");
  cli.addHelpOption();
  cli.addVersionOption();
  cli.addPositionalArgument("project", "project JSON file (default: resources/default_project.json)");
  QCommandLineOption shots("screenshots", "save a PNG of every view into DIR, then quit", "DIR");
  QCommandLineOption run("run", "start the selected experiment right away (with --screenshots: shoot when it ends)");
  QCommandLineOption run_all("run-all",
                             "run every experiment in turn right away (with --screenshots: shoot at the end)");
  QCommandLineOption experiment("experiment", "select this experiment (by index, 0 = first)", "N", "0");
  cli.addOptions({shots, run, run_all, experiment});
  cli.process(app);

  faultscape::gui::MainWindow window;
  const QString path = cli.positionalArguments().value(0, default_project());
  if (!path.isEmpty()) window.open_project(path);
  window.experiments()->select(cli.value(experiment).toInt());
  if (cli.isSet(shots)) {
    window.set_confirm_close(false);
    window.resize(1500, 940);
  }
  window.show();

  using faultscape::gui::MainWindow;
  void (MainWindow::*start)() = cli.isSet(run_all) ? &MainWindow::start_all
                                : cli.isSet(run)   ? &MainWindow::start_run
                                                   : nullptr;
  if (cli.isSet(shots))
    faultscape::gui::take_screenshots_when_ready(&window, cli.value(shots), start);
  else if (start)
    QTimer::singleShot(0, &window, start);
  return app.exec();
}
