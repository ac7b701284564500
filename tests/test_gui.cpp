// The workbench driven through its real widgets on the offscreen platform: the default project,
// form edits with undo / redo and inline validation, the protection editor and the training
// sections (fault-aware training, dropout), file pickers, a live campaign whose points reach the plots
// while the UI thread stays responsive, cancel with partial results in the database, the results
// browser, the figures' export and `faultscape-cli plot`.
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHeaderView>
#include <QMenu>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QPlainTextEdit>
#include <QToolButton>
#include <QLineEdit>
#include <QListWidget>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>

#include <qcustomplot.h>

#include <QSet>

#include "ber_plot.h"
#include "engine_bridge.h"
#include "experiments_panel.h"
#include "fat_scatter_plot.h"
#include "figures.h"
#include "fault_panel.h"
#include "heatmap_plot.h"
#include "json_form.h"
#include "live_plots.h"
#include "main_window.h"
#include "model_panel.h"
#include "pareto_plot.h"
#include "training_plot.h"
#include "window_geometry.h"
#include "project_document.h"
#include "protection_editor.h"
#include "results_browser.h"
#include "no_project_page.h"
#include "run_panel.h"
#include "store/result_store.h"

using namespace faultscape;
using namespace faultscape::gui;
using nlohmann::json;

namespace {

const QString kTmp = QStringLiteral(FAULTSCAPE_TEST_TMP "/gui");

QString default_project() { return QStringLiteral(FAULTSCAPE_SOURCE_DIR "/resources/default_project.json"); }

// A plain one-experiment project (a LeNet-5 that only trains) that the form tests start from.
QString plain_project() {
  const QString path = kTmp + "/plain.json";
  QFile f(path);
  if (!f.exists() && f.open(QIODevice::WriteOnly))
    f.write(R"({"name": "default", "seed": 1, "threads": 0, "output_dir": "results",
  "experiments": [{"name": "lenet5-fashion", "dataset": {"name": "fashion-mnist"},
    "model": {"name": "lenet5", "weight_bits": "float", "act_bits": "float"},
    "training": {"epochs": 3, "batch_size": 64, "optimizer": "adam", "lr": 0.001, "loss": "cross_entropy"}}]}
)");
  return path;
}

void write_file(const QString& path, const QByteArray& text) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(text);
}

// The window-modal message box named `name` that the window opened (non-blocking).
QMessageBox* message_box(QWidget* window, const QString& name) {
  for (QMessageBox* box : window->findChildren<QMessageBox*>(name))
    if (box->isVisible()) return box;
  return nullptr;
}

// A window on the plain project, with results going to a fresh directory.
std::unique_ptr<MainWindow> open_plain() {
  auto w = std::make_unique<MainWindow>();
  w->set_confirm_close(false);
  if (!w->open_project(plain_project(), true)) return nullptr;
  w->resize(1400, 900);
  w->show();
  return w;
}

// Measures how late a 10 ms timer fires on the UI thread: the event loop's responsiveness.
struct LatencyProbe {
  QTimer timer;
  QElapsedTimer clock;
  qint64 last = 0, worst = 0, ticks = 0;
  double sum = 0;
  LatencyProbe() {
    timer.setTimerType(Qt::PreciseTimer);
    timer.setInterval(10);
    QObject::connect(&timer, &QTimer::timeout, [this] {
      const qint64 now = clock.elapsed();
      const qint64 late = std::max<qint64>(0, now - last - 10);
      worst = std::max(worst, late);
      sum += late;
      ++ticks;
      last = now;
    });
    clock.start();
    timer.start();
  }
};

// Types into a line edit as a user does and presses Return (which commits the field).
void type_into(QLineEdit* edit, const QString& text) {
  edit->clear();
  QTest::keyClicks(edit, text);
  QTest::keyClick(edit, Qt::Key_Return);
}

void choose(QComboBox* combo, const QString& text) {
  combo->setCurrentText(text);
  Q_EMIT combo->textActivated(text);
}

QAction* menu_action(QToolButton* button, const QString& data) {
  for (QAction* a : button->menu()->actions())
    if (a->data().toString() == data) return a;
  return nullptr;
}

}  // namespace

class TestGui : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // QSettings of the tests stay out of the user's
    QCoreApplication::setOrganizationName("FaultscapeTest");
    QDir(kTmp).removeRecursively();
    QVERIFY(QDir().mkpath(kTmp));
  }

  void opens_default_project_with_model_table() {
    auto w = open_plain();
    QVERIFY(w);
    QCOMPARE(w->experiments()->list()->count(), 1);
    QCOMPARE(w->experiments()->current_name(), QString("lenet5-fashion"));
    auto* model = qobject_cast<QComboBox*>(w->model_panel()->forms()[1]->editor("name"));
    QVERIFY(model);
    QCOMPARE(model->currentText(), QString("lenet5"));
    // The stage table is measured by the worker thread.
    QTRY_VERIFY_WITH_TIMEOUT(w->model_panel()->stage_table()->rowCount() > 3, 20000);
    QCOMPARE(w->model_panel()->stage_table()->item(0, 0)->text(), QString("conv0"));
    // No column is cut ("6×28…", "arameters"): each is as wide as its contents and header.
    QTableWidget* stages = w->model_panel()->stage_table();
    const QAbstractItemView* view = stages;
    auto fits = [&] {
      for (int c = 0; c < stages->columnCount(); ++c)
        if (stages->columnWidth(c) <
            std::max(view->sizeHintForColumn(c), stages->horizontalHeader()->sectionSizeHint(c)))
          return false;
      return true;
    };
    QTRY_VERIFY(fits());
    w->validate_now();
    QVERIFY2(w->problems().isEmpty(), qPrintable(w->problems().join("\n")));
    // Epochs at 0 reads "use as is" and means exactly that to the engine.
    auto* epochs = qobject_cast<QSpinBox*>(w->model_panel()->training_form()->editor("epochs"));
    QVERIFY(epochs);
    epochs->setValue(0);
    QCOMPARE(epochs->text(), QString("use as is"));
    QCOMPARE(w->document()->value("/experiments/0/training/epochs"), json(0));
    w->validate_now();
    QVERIFY2(w->problems().isEmpty(), qPrintable(w->problems().join("\n")));
  }

  void fault_edits_undo_redo_and_inline_errors() {
    auto w = open_plain();
    QVERIFY(w);
    JsonForm* faults = w->fault_panel()->fault_form();
    QVERIFY(!faults->isChecked());  // the default project has no fault model
    faults->setChecked(true);       // as the user ticking the group box
    QVERIFY(w->document()->value("/experiments/0/faults").is_object());
    auto* kind = qobject_cast<QComboBox*>(faults->editor("kind"));
    QVERIFY(kind && kind->isEnabled());
    kind->setCurrentText("stuck_at");
    Q_EMIT kind->textActivated("stuck_at");
    QCOMPARE(w->document()->value("/experiments/0/faults/kind"), json("stuck_at"));
    // stuck_at on the default target (weights) is invalid: the engine's message appears inline.
    w->validate_now();
    QVERIFY2(faults->error_text("kind").contains("activations"), qPrintable(faults->error_text("kind")));
    auto* target = qobject_cast<QComboBox*>(faults->editor("target"));
    target->setCurrentText("activations");
    Q_EMIT target->textActivated("activations");
    w->validate_now();
    QVERIFY(faults->error_text("kind").isEmpty());
    QVERIFY(w->problems().isEmpty());
    // Undo walks back through the edits, redo forward again; the form follows.
    QUndoStack* stack = w->document()->undo_stack();
    stack->undo();
    QCOMPARE(target->currentText(), QString("weights"));
    stack->undo();
    QVERIFY(!w->document()->value("/experiments/0/faults").contains("kind"));
    stack->redo();
    stack->redo();
    QCOMPARE(w->document()->value("/experiments/0/faults/target"), json("activations"));
    QCOMPARE(target->currentText(), QString("activations"));
    // A numeric field of the campaign, once the campaign object exists.
    JsonForm* campaign = w->fault_panel()->campaign_form();
    campaign->setChecked(true);
    auto* trials = qobject_cast<QSpinBox*>(campaign->editor("trials"));
    QVERIFY(trials && trials->isEnabled());
    trials->setValue(25);
    QCOMPARE(w->document()->value("/experiments/0/campaign/trials"), json(25));
    // Saved file is the same JSON the CLI reads.
    const QString saved = kTmp + "/edited.json";
    QString error;
    QVERIFY2(w->document()->save(saved, &error), qPrintable(error));
    QFile f(saved);
    QVERIFY(f.open(QIODevice::ReadOnly));
    json back = json::parse(f.readAll().toStdString());
    QCOMPARE(back["experiments"][0]["faults"]["kind"], json("stuck_at"));
    QVERIFY(!w->document()->modified());
  }

  void protection_editor_forms_undo_and_inline_problems() {
    auto w = open_plain();
    QVERIFY(w);
    ProjectDocument* doc = w->document();
    QUndoStack* stack = doc->undo_stack();
    ProtectionEditor* prot = w->fault_panel()->protection();
    // The editor offers exactly the schemes the engine accepts.
    QStringList gui = protection_schemes(), engine = engine_protection_schemes();
    gui.sort();
    engine.sort();
    QCOMPARE(gui, engine);
    QCOMPARE(prot->list()->count(), 0);
    QVERIFY(!prot->form());

    // Add EDAC from the Add menu: a minimal object, its defaults shown in the form.
    QAction* edac = menu_action(prot->add_button(), "edac");
    QVERIFY(edac);
    edac->trigger();
    QCOMPARE(doc->value("/experiments/0/protection"), json::array({{{"scheme", "edac"}}}));
    QCOMPARE(prot->list()->count(), 1);
    QVERIFY(prot->form());
    auto* ratio = qobject_cast<QLineEdit*>(prot->form()->editor("ratio"));
    QVERIFY(ratio);
    QCOMPARE(ratio->text(), QString("1.0"));  // the engine's default, shown while the key is absent
    QVERIFY(!ratio->toolTip().isEmpty());
    type_into(ratio, "0.25");
    QCOMPARE(doc->value("/experiments/0/protection/0/ratio"), json(0.25));
    auto* copies = qobject_cast<QComboBox*>(prot->form()->editor("copies"));
    QVERIFY(copies);
    choose(copies, "3");
    QCOMPARE(doc->value("/experiments/0/protection/0/copies"), json(3));  // stored as a number
    QVERIFY(prot->list()->item(0)->text().contains("copies=3"));

    // A second scheme, moved in front of the first.
    menu_action(prot->add_button(), "ranger")->trigger();
    QCOMPARE(prot->list()->currentRow(), 1);
    QVERIFY(prot->form()->editor("granularity"));
    QVERIFY(!prot->form()->editor("ratio"));
    QTest::mouseClick(prot->up_button(), Qt::LeftButton);
    QCOMPARE(doc->value("/experiments/0/protection/0/scheme"), json("ranger"));
    QCOMPARE(doc->value("/experiments/0/protection/1"), json({{"scheme", "edac"}, {"ratio", 0.25}, {"copies", 3}}));
    QCOMPARE(prot->list()->currentRow(), 0);

    // Undo steps back one edit at a time: the move, the addition, the copies.
    stack->undo();
    QCOMPARE(doc->value("/experiments/0/protection/0/scheme"), json("edac"));
    stack->undo();
    QCOMPARE(doc->value("/experiments/0/protection").size(), size_t{1});
    QCOMPARE(prot->list()->count(), 1);
    stack->undo();
    QVERIFY(!doc->value("/experiments/0/protection/0").contains("copies"));
    prot->select(0);
    QCOMPARE(qobject_cast<QComboBox*>(prot->form()->editor("copies"))->currentText(), QString("2"));
    QCOMPARE(doc->value("/experiments/0/protection/0/ratio"), json(0.25));

    // An out-of-range value: the engine's validation shows under the field and marks the scheme.
    ratio = qobject_cast<QLineEdit*>(prot->form()->editor("ratio"));
    type_into(ratio, "2");
    QCOMPARE(doc->value("/experiments/0/protection/0/ratio"), json(2.0));
    w->validate_now();
    QVERIFY2(prot->form()->error_text("ratio").contains("[0, 1]"), qPrintable(prot->form()->error_text("ratio")));
    QVERIFY(prot->list()->item(0)->toolTip().contains("[0, 1]"));
    type_into(ratio, "0.5");
    w->validate_now();
    QVERIFY(prot->form()->error_text("ratio").isEmpty());
    QVERIFY2(w->problems().isEmpty(), qPrintable(w->problems().join("\n")));

    // Edit as JSON: the whole array as text; applying it is one more undoable edit.
    prot->json_toggle()->setChecked(true);
    QVERIFY(prot->json_text()->toPlainText().contains("\"edac\""));
    prot->json_text()->setPlainText(R"([{"scheme": "tmr", "vote": "max"}])");
    QTest::mouseClick(prot->json_apply(), Qt::LeftButton);
    QCOMPARE(doc->value("/experiments/0/protection/0/vote"), json("max"));
    w->validate_now();
    QVERIFY2(prot->error_text().contains("vote"), qPrintable(prot->error_text()));
    prot->json_toggle()->setChecked(false);
    QVERIFY(prot->form()->editor("vote"));  // the form follows the new scheme
    QVERIFY(!prot->form()->error_text("vote").isEmpty());
    stack->undo();
    QCOMPARE(doc->value("/experiments/0/protection/0/scheme"), json("edac"));
    QTest::mouseClick(prot->remove_button(), Qt::LeftButton);
    QCOMPARE(doc->value("/experiments/0/protection"), json::array());
    QVERIFY(!prot->form());
  }

  // Every key of the protection and training tables, at its shown default, is accepted by the
  // engine: the forms offer exactly the project file's knobs, with defaults it agrees with.
  void form_tables_match_the_engine() {
    auto w = open_plain();
    QVERIFY(w);
    json project = w->document()->data();
    json& experiment = project["experiments"][0];
    auto with_defaults = [](const std::vector<FieldSpec>& fields, json object) {
      for (const FieldSpec& f : fields)
        if (!f.fallback.is_null()) object[json::json_pointer("/" + f.key)] = f.fallback;
      if (object.contains("layers")) object["layers"] = {"conv0"};  // some schemes require stages
      return object;
    };
    json protection = json::array();
    for (const QString& scheme : protection_schemes()) {
      json item = with_defaults(protection_fields(scheme), {{"scheme", scheme.toStdString()}});
      if (scheme == "qbound") item["mode"] = "optimized";  // tolerance and profile_images belong to this mode
      protection.push_back(item);
    }
    experiment["protection"] = protection;
    for (const TrainingSection& section : training_sections()) {
      json object = with_defaults(section.fields, json::object());
      object.update(section.on_value);
      experiment["training"][section.key] = object;
    }
    experiment["prune"] = with_defaults(prune_fields(), json::object());
    const QStringList problems = validate_project(project);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join("\n")));
    // The defaults the forms show are the engine's (keys the engine writes for that object).
    auto same_defaults = [](const std::vector<FieldSpec>& fields, const json& engine, const json& skip,
                            const QString& where) {
      for (const FieldSpec& f : fields) {
        const json::json_pointer p("/" + f.key);
        if (f.fallback.is_null() || f.key == "layers" || skip.contains(f.key) || !engine.contains(p)) continue;
        QVERIFY2(engine.at(p) == f.fallback, qPrintable(where + "." + QString::fromStdString(f.key) + ": engine " +
                                                        QString::fromStdString(engine.at(p).dump()) + ", form " +
                                                        QString::fromStdString(f.fallback.dump())));
      }
    };
    const json training = engine_training_defaults();
    for (const TrainingSection& section : training_sections()) {
      QVERIFY2(training.contains(section.key), section.key.c_str());
      same_defaults(section.fields, training.value(section.key, json::object()), section.on_value,
                    QString::fromStdString(section.key));
    }
    for (const QString& scheme : protection_schemes())
      same_defaults(protection_fields(scheme), engine_protection_defaults(scheme), json::object(), scheme);
    same_defaults(prune_fields(), engine_prune_defaults(), json::object(), "prune");
    // Every key of the engine's prune object has a field.
    const std::vector<FieldSpec> prune = prune_fields();
    auto has_field = [&](const std::string& key) {
      return std::any_of(prune.begin(), prune.end(), [&](const FieldSpec& f) { return f.key == key; });
    };
    const json prune_defaults = engine_prune_defaults();
    for (const auto& [key, value] : prune_defaults.items()) {
      if (!value.is_object()) {
        QVERIFY2(has_field(key), key.c_str());
        continue;
      }
      for (const auto& [sub, inner] : value.items()) QVERIFY2(has_field(key + "/" + sub), (key + "/" + sub).c_str());
    }
    // And the engine does check these objects: an unknown key is reported.
    experiment["protection"][0]["typo"] = 1;
    experiment["training"]["fault_aware"]["typo"] = 1;
    experiment["prune"]["fine_tune"]["typo"] = 1;
    QCOMPARE(validate_project(project).size(), 3);
  }

  void campaign_grid_and_training_sections() {
    auto w = open_plain();
    QVERIFY(w);
    ProjectDocument* doc = w->document();
    // campaign.protection_grid is JSON text: unreadable text is refused inline, a grid is stored.
    JsonForm* campaign = w->fault_panel()->campaign_form();
    campaign->setChecked(true);
    auto* grid = qobject_cast<QLineEdit*>(campaign->editor("protection_grid"));
    QVERIFY(grid);
    type_into(grid, "[[[], {");
    QVERIFY(!doc->value("/experiments/0/campaign").contains("protection_grid"));
    QVERIFY(campaign->error_text("protection_grid").contains("JSON"));
    type_into(grid, R"([[[], {"scheme": "edac", "ratio": [0.5, 1]}]])");
    QCOMPARE(doc->value("/experiments/0/campaign/protection_grid")[0][1]["ratio"], json({0.5, 1}));
    w->validate_now();
    QVERIFY(campaign->error_text("protection_grid").isEmpty());
    // The engine explains the combination: a grid needs a fault campaign.
    QVERIFY2(campaign->error_text("kind").contains("protection_grid"), qPrintable(campaign->error_text("kind")));
    type_into(grid, "");
    QVERIFY(!doc->value("/experiments/0/campaign").contains("protection_grid"));

    // Fault-aware training: absent = off; ticking the section creates it with method 1.
    JsonForm* fat = w->model_panel()->training_section("fault_aware");
    QVERIFY(!fat->isChecked());
    QVERIFY(!doc->value("/experiments/0/training").contains("fault_aware"));
    fat->setChecked(true);
    QCOMPARE(doc->value("/experiments/0/training/fault_aware"), json({{"method", 1}}));
    choose(qobject_cast<QComboBox*>(fat->editor("method")), "2");
    QCOMPARE(doc->value("/experiments/0/training/fault_aware/method"), json(2));
    auto* p = qobject_cast<QLineEdit*>(fat->editor("p"));
    type_into(p, "1.5");
    w->validate_now();
    QVERIFY2(fat->error_text("p").contains("[0, 1]"), qPrintable(fat->error_text("p")));
    // Shown once: not repeated by the training or experiment sections.
    QCOMPARE(w->model_panel()->training_form()->show_problems(w->problems()), 0);
    QCOMPARE(w->model_panel()->forms()[0]->show_problems(w->problems()), 0);
    type_into(p, "0.2");
    type_into(qobject_cast<QLineEdit*>(fat->editor("stuck_values")), "-1, 1");
    QCOMPARE(doc->value("/experiments/0/training/fault_aware/stuck_values"), json({-1, 1}));
    w->validate_now();
    QVERIFY2(w->problems().isEmpty(), qPrintable(w->problems().join("\n")));
    fat->setChecked(false);
    QVERIFY(!doc->value("/experiments/0/training").contains("fault_aware"));
    doc->undo_stack()->undo();
    QVERIFY(fat->isChecked());
    QCOMPARE(doc->value("/experiments/0/training/fault_aware/p"), json(0.2));

    JsonForm* dropout = w->model_panel()->training_section("dropout");
    dropout->setChecked(true);
    QCOMPARE(doc->value("/experiments/0/training/dropout"), json({{"kind", "dropout"}}));
    choose(qobject_cast<QComboBox*>(dropout->editor("kind")), "dropout2d");
    QCOMPARE(doc->value("/experiments/0/training/dropout/kind"), json("dropout2d"));
    w->validate_now();
    QVERIFY2(w->problems().isEmpty(), qPrintable(w->problems().join("\n")));
  }

  void file_picker_fills_a_path_field() {
    auto w = open_plain();
    QVERIFY(w);
    const QString model = kTmp + "/picked.pt";
    QFile f(model);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    JsonForm* experiment = w->model_panel()->forms()[0];
    auto* pick = experiment->findChild<QToolButton*>("load_pick");
    QVERIFY(pick);
    QTest::mouseClick(pick, Qt::LeftButton);  // opens a window-modal dialog and returns
    QFileDialog* dialog = nullptr;
    QTRY_VERIFY((dialog = experiment->findChild<QFileDialog*>("path_picker")) && dialog->isVisible());
    dialog->selectFile(model);
    static_cast<QDialog*>(dialog)->accept();  // as the Open button does (accept is protected in QFileDialog)
    const json v = w->document()->value("/experiments/0/load");
    QVERIFY(v.is_string());
    QCOMPARE(QFileInfo(QString::fromStdString(v.get<std::string>())).absoluteFilePath(),
             QFileInfo(model).absoluteFilePath());
    QCOMPARE(qobject_cast<QLineEdit*>(experiment->editor("load"))->text(),
             QString::fromStdString(v.get<std::string>()));
  }

  void live_campaign_cancel_keeps_partial_results() {
    if (!QDir("/usr/share/datasets/fashion-mnist").exists()) QSKIP("Fashion-MNIST is not installed");
    auto w = open_plain();
    QVERIFY(w);
    ProjectDocument* doc = w->document();
    const QString out = kTmp + "/run";
    doc->set("/output_dir", out.toStdString());
    doc->set("/threads", 1);
    doc->set("/experiments/0/dataset/train_limit", 512);
    doc->set("/experiments/0/dataset/test_limit", 300);
    doc->set("/experiments/0/training/epochs", 1);
    // Many stuck values make the sweep long enough to be cancelled midway.
    json values = json::array();
    for (int i = 0; i < 400; ++i) values.push_back(-4.0 + 0.02 * i);
    doc->set("/experiments/0/faults",
             {{"kind", "stuck_at"}, {"target", "activations"}, {"granularity", "channel"}, {"stuck_values", values}});
    doc->set("/experiments/0/campaign", {{"kind", "stuck_sweep"}, {"test_limit", 300}, {"batch_size", 300}});
    w->validate_now();
    QVERIFY2(w->problems().isEmpty(), qPrintable(w->problems().join("\n")));

    LatencyProbe probe;
    QSignalSpy ended(w.get(), &MainWindow::run_ended);
    QTest::mouseClick(w->run_panel()->start_button(), Qt::LeftButton);
    QVERIFY(w->run_panel()->running());
    // Points of the stuck sweep arrive in the scatter and the heat map while it runs.
    QTRY_VERIFY_WITH_TIMEOUT(w->plots()->scatter->point_count() > 0, 45000);
    QTRY_VERIFY_WITH_TIMEOUT(w->plots()->heatmap->point_count() > 0, 20000);
    QVERIFY(ended.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(w->run_panel()->progress_bar()->format().startsWith("stuck-sweep"), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(w->run_panel()->rate_text().contains("faults/s"), 10000);
    QVERIFY(w->run_panel()->eta_text().startsWith("ETA"));
    QVERIFY(!w->results()->detail_text().startsWith("No results yet"));
    // Closing during a run asks first; Cancel keeps the window and the run.
    w->set_confirm_close(true);
    QTimer::singleShot(200, [] {
      if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget()))
        box->button(QMessageBox::Cancel)->click();
    });
    QVERIFY(!w->close());
    w->set_confirm_close(false);
    QVERIFY(w->run_panel()->running());
    QTest::qWait(300);  // a little campaign time under the probe
    // Pause holds the engine between batches: no result arrives until resume.
    QTest::mouseClick(w->run_panel()->pause_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(w->run_panel()->log_text().split('\n').last().endsWith(" paused"), 10000);
    const qint64 held = w->plots()->points_received();
    QTest::qWait(300);
    QCOMPARE(w->plots()->points_received(), held);
    QTest::mouseClick(w->run_panel()->pause_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(w->plots()->points_received() > held, 10000);
    QTest::mouseClick(w->run_panel()->cancel_button(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 20000);
    QCOMPARE(ended.front().front().toString(), QString("cancelled"));
    probe.timer.stop();
    qInfo("UI event-loop latency during training + campaign: worst %lld ms, mean %.2f ms over %lld ticks", probe.worst,
          probe.ticks ? probe.sum / probe.ticks : 0.0, probe.ticks);
    QVERIFY(probe.ticks > 20);
    QVERIFY2(probe.worst < 2000, "the UI thread was blocked for more than 2 s");

    // A second start reuses the trained model; its training curve comes back from the database,
    // and the cancelled sweep is resumed (same run) before being cancelled again.
    w->plots()->training->clear();
    QCOMPARE(w->plots()->training->point_count(), 0);
    QTest::mouseClick(w->run_panel()->start_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(w->plots()->training->point_count() == 1, 20000);
    w->cancel_run();
    QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 2, 20000);

    // The database holds the partial sweep, marked cancelled.
    ResultStore store(w->database_path().toStdString());
    std::vector<RunRow> sweeps = store.runs({"lenet5-fashion", "stuck_sweep", ""});
    QCOMPARE(sweeps.size(), size_t{1});
    QCOMPARE(QString::fromStdString(sweeps[0].status), QString("cancelled"));
    const size_t stored = store.trials(sweeps[0].id).size();
    QVERIFY(stored > 0);
    QVERIFY(stored < 400u * 236u);  // far from the full sweep
    QVERIFY(static_cast<qint64>(stored) >= w->plots()->heatmap->point_count());
    QCOMPARE(store.runs({"lenet5-fashion", "train", "complete"}).size(), size_t{1});

    // The results browser lists the runs and filters them.
    ResultsBrowser* results = w->results();
    results->refresh();
    QVERIFY(results->table()->rowCount() >= 3);
    results->findChild<QLineEdit*>()->setText("cancelled");
    QCOMPARE(results->visible_rows(), 1);
    results->findChild<QLineEdit*>()->clear();

    // Following: trials another process writes into the database appear without a click.
    QVERIFY(results->follow()->isChecked());
    const int rows_before = results->table()->rowCount();
    RunInfo other;
    other.project = "other-process";
    other.experiment = "distributed";
    other.kind = "ber_sweep";
    const int64_t run = store.begin_run(other);
    auto trials_shown = [&] {
      for (int r = 0; r < results->table()->rowCount(); ++r)
        if (results->table()->item(r, 0)->data(Qt::DisplayRole).toLongLong() == run)
          return results->table()->item(r, 5)->data(Qt::DisplayRole).toLongLong();
      return qlonglong{-1};
    };
    QTRY_COMPARE_WITH_TIMEOUT(results->table()->rowCount(), rows_before + 1, 10000);
    QCOMPARE(trials_shown(), qlonglong{0});
    store.add_trials(run, {{0, {{"rate", 1e-4}}, 50.0, {}}, {1, {{"rate", 1e-4}}, 51.0, {}}});
    QTRY_COMPARE_WITH_TIMEOUT(trials_shown(), qlonglong{2}, 10000);
    results->follow()->setChecked(false);
    store.add_trials(run, {{2, {{"rate", 1e-4}}, 52.0, {}}});
    QTest::qWait(2500);
    QCOMPARE(trials_shown(), qlonglong{2});  // not following: the table stays as it was read
    results->follow()->setChecked(true);
    QTRY_COMPARE_WITH_TIMEOUT(trials_shown(), qlonglong{3}, 10000);

    // faultscape-cli plot draws the stored partial sweep headless, with its CSV.
    QProcess cli;
    const QString figures = kTmp + "/figures";
    cli.start(FAULTSCAPE_CLI, {"plot", w->database_path(), "--run", QString::number(sweeps[0].id), "--out", figures});
    QVERIFY(cli.waitForFinished(60000));
    QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
    const QString base = figures + QString("/run%1_").arg(sweeps[0].id);
    for (const QString& f : {base + "heatmap.pdf", base + "heatmap.png", base + "fat_scatter.png"})
      QVERIFY2(QFile::exists(f), qPrintable(f));
    QFile csv(base + "heatmap.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString(csv.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.front(), QString("stage,layer,channel,worst_drop"));
    QVERIFY(lines.size() >= 2);
  }

  void plots_batch_redraws_and_export() {
    widgets::BerPlot ber;
    ber.resize(700, 500);
    ber.show();
    QTRY_VERIFY(ber.replots() > 0);
    QTest::qWait(300);  // showing and laying out settle first
    const int before = ber.replots();
    // 100k trials in 100 batches without returning to the event loop: one coalesced redraw.
    for (int b = 0; b < 100; ++b) {
      json trials = json::array();
      for (int i = 0; i < 1000; ++i)
        trials.push_back({{"params", {{"rate", 1e-6 * (1 + b % 10)}}}, {"accuracy", 50.0 + (i % 50)}});
      ber.add_trials("lenet5", trials);
    }
    ber.add_point("lenet5", {{"rate", 1e-6}, {"trials", 10}, {"accuracy", {{"mean", 74.5}, {"ci95", 2.5}}}});
    QTRY_VERIFY(ber.replots() > before);
    QTest::qWait(200);
    // Coalesced: one redraw for the hundred batches (two if a layout pass came in between).
    QVERIFY2(ber.replots() - before <= 2, qPrintable(QString::number(ber.replots() - before)));
    QCOMPARE(ber.point_count(), 100001);
    QString error;
    QStringList files = ber.export_figure(kTmp + "/ber_test", {400, 300, 96}, &error);
    QVERIFY2(files.size() == 3, qPrintable(error));
    QFile csv(kTmp + "/ber_test.csv");
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(QString(csv.readAll()).count('\n'), 1 + 1 + 100000);  // header, mean, trials
  }

  void pareto_front_and_dominated_toggle() {
    using widgets::ParetoPoint;
    auto point = [](const QString& label, qint64 run, double cost, double accuracy) {
      ParetoPoint p;
      p.label = label, p.run = run, p.cost = cost, p.accuracy = accuracy;
      return p;
    };
    QVector<ParetoPoint> pts = {point("a", 1, 1.0, 60), point("b", 2, 3.0, 90), point("c", 3, 2.0, 55),
                                point("d", 4, 2.0, 80), point("e", 5, 3.0, 90), point("f", 6, 4.0, 85)};
    QVector<int> front = widgets::pareto_front(pts);
    QCOMPARE(front, (QVector<int>{0, 3, 1, 4}));  // c and f are dominated; b and e tie
    widgets::ParetoPlot plot;
    plot.add_points(pts);
    QCOMPARE(plot.table().rows.size(), 6);
    plot.set_show_dominated(false);
    QCOMPARE(plot.table().rows.size(), 4);
    // A stored campaign run becomes a point: a stuck-at sweep at its worst case (FAT Fig. 9), a
    // BER sweep at its mean; the cost from the protection's overhead.
    const nlohmann::json overhead = {{"protection", {{"overhead", {{"hardware_cost", 1.25}}}}}};
    nlohmann::json stuck = {
        {"id", 7}, {"kind", "stuck_sweep"}, {"summary", {{"min", 71.5}, {"mean", 80.0}, {"golden_accuracy", 81.0}}}};
    stuck["summary"].update(overhead);
    ParetoPoint p;
    QVERIFY(widgets::pareto_point(stuck, &p));
    QCOMPARE(p.accuracy, 71.5);
    QCOMPARE(p.cost, 1.25);
    nlohmann::json ber = {{"id", 8}, {"kind", "ber_sweep"}, {"summary", {{"min", 10.0}, {"mean", 60.0}}}};
    QVERIFY(widgets::pareto_point(ber, &p));  // an older summary without per-rate points: its mean
    QCOMPARE(p.accuracy, 60.0);
    QCOMPARE(p.cost, 1.0);
    QCOMPARE(p.measure, QString("mean over a BER sweep's rates"));
    // Issue 14 fix 6: a run whose Pareto objective is FAT Fig. 9's unrolled cost is drawn against
    // it, as its own measure (never on one front with the mixed cost), with the axis saying so.
    nlohmann::json fig9 = stuck;
    fig9["summary"]["protection"]["overhead"]["unrolled_cost"] = 1.0625;
    fig9["config"] = {{"campaign", {{"pareto", "accuracy/min:max,overhead/unrolled_cost:min"}}}};
    QVERIFY(widgets::pareto_point(fig9, &p));
    QCOMPARE(p.cost, 1.0625);
    QVERIFY(p.measure.contains("unrolled"));
    QVERIFY(p.cost_name.contains("unrolled"));
    QVERIFY(widgets::pareto_point(stuck, &p));  // no objective named: the mixed cost
    QCOMPARE(p.cost, 1.25);
    QVERIFY(p.cost_name.isEmpty());
  }

  // A BER sweep gives one Pareto point per rate; the figure plots one measure at a time, chosen
  // above it, and the accuracy axis names it.
  void pareto_one_point_per_rate_and_measure_choice() {
    auto ber_run = [](qint64 id, double cost, double at_low, double at_high) {
      return nlohmann::json{{"id", id},
                            {"kind", "ber_sweep"},
                            {"summary",
                             {{"mean", (at_low + at_high) / 2},
                              {"grid_point", {{"label", "tmr"}}},
                              {"protection", {{"overhead", {{"hardware_cost", cost}}}}},
                              {"points",
                               {{{"rate", 1e-5}, {"layer", "all"}, {"accuracy", {{"mean", at_low}}}},
                                {{"rate", 1e-4}, {"layer", "all"}, {"accuracy", {{"mean", at_high}}}}}}}}};
    };
    const QVector<widgets::ParetoPoint> points = widgets::pareto_points(ber_run(8, 1.0, 80, 40));
    QCOMPARE(points.size(), 2);
    QCOMPARE(points[0].accuracy, 80.0);
    QCOMPARE(points[1].accuracy, 40.0);
    QCOMPARE(points[1].measure, QString("mean at BER 1e-04"));
    QVERIFY(points[1].label.contains("tmr at BER 1e-04"));  // the design point's protection
    QCOMPARE(widgets::rate_text(2.5e-5), QString("2.5e-05"));

    widgets::ParetoPlot plot;
    plot.resize(600, 400);
    plot.show();
    const nlohmann::json stuck = {{"id", 7}, {"kind", "stuck_sweep"}, {"summary", {{"min", 71.5}, {"mean", 80.0}}}};
    plot.add_points(widgets::pareto_points(stuck));
    QCOMPARE(plot.measure(), QString("worst single stuck-at fault"));
    plot.add_points(points);
    plot.add_points(widgets::pareto_points(ber_run(9, 3.0, 82, 75)));
    QCOMPARE(plot.measures(), QStringList({"worst single stuck-at fault", "mean at BER 1e-05", "mean at BER 1e-04"}));
    // Not chosen yet: the measure with the most points (the highest rate of equals).
    QCOMPARE(plot.measure(), QString("mean at BER 1e-04"));
    QCOMPARE(plot.point_count(), 2);
    QVERIFY(plot.plot()->yAxis->label().contains("mean at BER 1e-04"));
    widgets::CsvTable table = plot.table();
    QCOMPARE(table.rows.size(), 2);
    QCOMPARE(table.rows[0][2], QString("mean at BER 1e-04"));
    // The user picks the stuck-at worst case: one point, the axis says so, and new runs keep it.
    auto* box = plot.findChild<QComboBox*>("pareto_measure");
    QVERIFY(box && box->isEnabled());
    box->setCurrentIndex(0);
    Q_EMIT box->activated(0);
    QCOMPARE(plot.measure(), QString("worst single stuck-at fault"));
    QCOMPARE(plot.point_count(), 1);
    QVERIFY(plot.plot()->yAxis->label().contains("stuck-at"));
    plot.add_points(widgets::pareto_points(ber_run(10, 2.0, 81, 60)));
    QCOMPARE(plot.measure(), QString("worst single stuck-at fault"));
    plot.clear();
    QCOMPARE(plot.measures(), QStringList());
    QCOMPARE(plot.point_count(), 0);
  }

  void ber_axis_ticks_and_empty_legends() {
    widgets::BerPlot ber;
    ber.resize(700, 500);
    ber.show();
    QTRY_VERIFY(ber.replots() > 0);
    QVERIFY(!ber.plot()->legend->visible());  // nothing plotted: no blank legend box
    QVERIFY(ber.empty_text().contains("ber_sweep"));
    ber.add_point("one rate", {{"rate", 1e-5}, {"trials", 10}, {"accuracy", {{"mean", 70.0}, {"ci95", 1.0}}}});
    QTRY_VERIFY(ber.plot()->legend->visible());
    ber.plot()->replot();
    QStringList labels = ber.plot()->xAxis->tickVectorLabels();
    labels.removeAll(QString());
    QVERIFY2(labels.size() >= 2, qPrintable(labels.join(" ")));
    QCOMPARE(labels.removeDuplicates(), qsizetype{0});  // each tick label once ("10⁻⁵" not three times)
    ber.set_series_title("one rate", "one rate tmr");   // a design point's run names its protection
    QCOMPARE(ber.plot()->graph(3)->name(), QString("one rate tmr"));
    for (const char* name : {"fat_scatter", "heatmap", "pareto", "training"}) {
      std::unique_ptr<widgets::PlotView> view(widgets::make_figure(name));
      view->resize(600, 400);
      view->show();
      QTRY_VERIFY(view->replots() > 0);
      QVERIFY2(!view->plot()->legend->visible(), name);
      QVERIFY2(view->empty_text().contains("sweep") || view->empty_text().contains("Start"), name);  // what fills it
    }
  }

  void training_axes_after_one_epoch_and_batch_progress() {
    widgets::TrainingPlot plot;
    plot.resize(600, 400);
    plot.show();
    plot.show_progress(120, 938, "epoch 1/2");
    QVERIFY2(plot.empty_text().contains("batch 120 of 938"), qPrintable(plot.empty_text()));
    plot.add_epoch({{"epoch", 1}, {"loss", 0.6}, {"train_accuracy", 78.0}, {"test_accuracy", 82.0}});
    QTRY_COMPARE(plot.point_count(), 1);
    QTRY_VERIFY(plot.plot()->yAxis->range().upper < 1.0);  // the default range is 0-5
    const QCPRange loss = plot.plot()->yAxis->range(), acc = plot.plot()->yAxis2->range();
    // Loss from 0, the single value inside with room above: no marker on the border.
    QCOMPARE(loss.lower, 0.0);
    QVERIFY(loss.upper > 0.62 && loss.upper < 1.0);
    QVERIFY(acc.lower >= 0 && acc.lower < 77 && acc.upper > 83 && acc.upper <= 101);
    const QCPRange epochs = plot.plot()->xAxis->range();
    QVERIFY(epochs.lower < 0.9 && epochs.upper > 1.1);
  }

  void run_panel_units_pause_and_end() {
    RunPanel panel;
    panel.on_started("x", QString());
    panel.on_progress("ber-sweep", 10, 100, 2.0, "rate 1/3");
    QVERIFY2(panel.rate_text().endsWith("trials/s"), qPrintable(panel.rate_text()));
    QVERIFY(panel.eta_text().startsWith("ETA"));
    panel.on_progress("stuck-sweep", 10, 100, 2.0, "");
    QVERIFY(panel.rate_text().endsWith("faults/s"));
    panel.pause_button()->click();
    QVERIFY2(panel.progress_bar()->format().startsWith("paused"), qPrintable(panel.progress_bar()->format()));
    panel.pause_button()->click();
    QCOMPARE(panel.progress_bar()->format(), QString("stuck-sweep: 10 / 100"));
    panel.on_ended("cancelled");
    QVERIFY(panel.rate_text().isEmpty());
    QVERIFY(panel.eta_text().isEmpty());
    QVERIFY(panel.start_button()->isEnabled() && panel.run_all_button()->isEnabled());
  }

  // An unreadable project: the dialog gives the reader's line and column, and the project open
  // before stays open (no form of values from no project); with none open, the window says so
  // and Start explains why it does nothing.
  void invalid_project_keeps_the_open_one() {
    const QString bad = kTmp + "/broken.json";
    write_file(bad, "{\n  \"name\": \"broken\",\n  \"seed\": 1,,\n  \"experiments\": []\n}\n");
    auto w = open_plain();
    QVERIFY(w);
    const json before = w->document()->data();
    QVERIFY(!w->open_project(bad));
    QMessageBox* box = nullptr;
    QTRY_VERIFY(box = message_box(w.get(), "open_error"));
    QVERIFY2(box->text().contains("line 3, column 13"), qPrintable(box->text()));
    QVERIFY(box->text().contains("broken.json"));
    QVERIFY(box->text().contains("stays open"));
    box->button(QMessageBox::Ok)->click();
    QVERIFY(w->has_project());
    QCOMPARE(w->document()->data(), before);
    QCOMPARE(w->document()->path(), plain_project());
    QCOMPARE(w->experiments()->current_name(), QString("lenet5-fashion"));

    MainWindow fresh;
    fresh.set_confirm_close(false);
    QVERIFY(!fresh.open_project(bad, true));
    QVERIFY(!fresh.has_project());
    QVERIFY(fresh.no_project_page()->text().contains("line 3, column 13"));
    QVERIFY(!fresh.experiments()->isEnabled());
    fresh.start_run();
    QTRY_VERIFY(message_box(&fresh, "start_refused"));
    QVERIFY(!fresh.run_panel()->running());
    message_box(&fresh, "start_refused")->button(QMessageBox::Ok)->click();
    // The page's New project button opens a real, runnable project.
    fresh.no_project_page()->findChild<QPushButton*>("new_project")->click();
    QVERIFY(fresh.has_project());
    QCOMPARE(fresh.experiments()->current_name(), QString("experiment-1"));
  }

  void first_launch_fits_the_screen_then_remembers() {
    QSettings().remove("window");
    const QRect screen = QGuiApplication::primaryScreen()->availableGeometry();
    QCOMPARE(first_launch_geometry(QRect(0, 0, 1600, 1000)), QRect(80, 50, 1440, 900));
    QSize chosen;
    {
      MainWindow w;
      w.set_confirm_close(false);
      QVERIFY2(w.width() >= screen.width() * 8 / 10 && w.height() >= screen.height() * 8 / 10,
               qPrintable(
                   QString("%1x%2 on %3x%4").arg(w.width()).arg(w.height()).arg(screen.width()).arg(screen.height())));
      w.show();
      w.resize(w.width() - 40, w.height() - 30);
      chosen = w.size();
      QVERIFY(w.close());
    }
    MainWindow again;
    QCOMPARE(again.size(), chosen);
  }

  void unknown_keys_can_be_removed_from_the_forms() {
    auto w = open_plain();
    QVERIFY(w);
    ProjectDocument* doc = w->document();
    doc->set("/experiments/0/typo", 1);
    doc->set("/experiments/0/model/colour", "red");
    w->validate_now();
    JsonForm* experiment = w->model_panel()->forms()[0];
    JsonForm* model = w->model_panel()->forms()[1];
    QCOMPARE(experiment->unknown_keys(), QStringList{"typo"});
    QCOMPARE(model->unknown_keys(), QStringList{"colour"});
    QVERIFY(!experiment->remove_unknown_button()->isHidden());
    experiment->remove_unknown_button()->click();
    QVERIFY(!doc->value("/experiments/0").contains("typo"));
    model->remove_unknown_button()->click();
    QVERIFY(!doc->value("/experiments/0/model").contains("colour"));
    w->validate_now();
    QVERIFY2(w->problems().isEmpty(), qPrintable(w->problems().join("\n")));
    QVERIFY(model->remove_unknown_button()->isHidden());
    doc->undo_stack()->undo();  // one step brings the key back
    QCOMPARE(doc->value("/experiments/0/model/colour"), json("red"));
  }

  // The project a new user sees first: valid, and its experiments fill every figure (training, a
  // stuck-at channel sweep for the scatter and heat map, a BER sweep over a protection grid for the
  // BER and Pareto views). Its run time is measured with the CLI (README).
  void default_project_fills_every_figure() {
    auto w = std::make_unique<MainWindow>();
    w->set_confirm_close(false);
    QVERIFY(w->open_project(default_project(), true));
    w->validate_now();
    QVERIFY2(w->problems().isEmpty(), qPrintable(w->problems().join("\n")));
    QSet<QString> figures;
    for (const auto& e : w->document()->data()["experiments"]) {
      const json campaign = e.value("campaign", json::object());
      const std::string kind = campaign.value("kind", "golden");
      if (kind == "stuck_sweep" && e.value("faults", json::object()).value("granularity", "") == "channel")
        figures << "fat_scatter"
                << "heatmap"
                << "pareto";
      if (kind == "ber_sweep")
        figures << "ber"
                << "pareto";
      if (kind == "ber_sweep" && campaign.contains("protection_grid")) figures << "pareto_costs";
      if (e.value("training", json::object()).value("epochs", 0) > 0) figures << "training";
    }
    QCOMPARE(figures, (QSet<QString>{"training", "fat_scatter", "heatmap", "ber", "pareto", "pareto_costs"}));
    // The first experiment, the one Start runs, already fills a campaign figure.
    QVERIFY(w->document()->data()["experiments"][0].contains("campaign"));
  }

  void results_tab_and_training_while_a_run_starts() {
    auto w = open_plain();
    QVERIFY(w);
    w->document()->set("/output_dir", (kTmp + "/nothing_yet").toStdString());
    QVERIFY(w->results()->detail_text().startsWith("No results yet"));
    w->results()->set_running(true);
    QVERIFY2(w->results()->detail_text().startsWith("A run is going"), qPrintable(w->results()->detail_text()));
    w->results()->set_running(false);
    QVERIFY(w->results()->detail_text().startsWith("No results yet"));
    // Per-batch progress of the first epoch, then the idle text once the run ends.
    w->plots()->begin("lenet5-fashion");
    w->plots()->on_progress("train", 3, 10, 1.0, "epoch 1/1");
    QVERIFY2(w->plots()->training->empty_text().contains("batch 3 of 10"),
             qPrintable(w->plots()->training->empty_text()));
    w->plots()->end();
    QVERIFY(w->plots()->training->empty_text().startsWith("No epochs yet"));
  }
};

// An explicit QApplication: the shared test precompiled header is built without QtWidgets, so
// QTEST_MAIN could pick a QGuiApplication, and widgets need the full one.
int main(int argc, char** argv) {
  QApplication app(argc, argv);
  TestGui test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_gui.moc"
