// The figures of `explain`, drawn offscreen by the workbench's own explorer figures.
#include <QApplication>
#include <QDir>
#include <memory>

#include "cli/cmd_explain.h"
#include "common/error.h"
#include "feature_map_plot.h"
#include "presentation.h"
#include "probability_plot.h"
#include "propagation_plot.h"

namespace faultscape::cli {

std::vector<std::string> write_explain_figures(const nlohmann::json& explanation, const nlohmann::json& maps,
                                               long long channel, const nlohmann::json& probabilities,
                                               const ExplainOptions& o) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  static int argc = 1;
  static char name[] = "faultscape-cli";
  static char* argv[] = {name, nullptr};
  std::unique_ptr<QApplication> app;
  if (!QApplication::instance()) app = std::make_unique<QApplication>(argc, argv);
  widgets::set_presentation(o.presentation);

  widgets::PropagationPlot propagation;
  propagation.set_stages(explanation["stages"]);
  widgets::FeatureMapPlot features;
  features.set_maps(maps);
  features.set_channel(static_cast<int>(channel));
  widgets::ProbabilityPlot probs;
  QStringList classes;
  QVector<double> golden, faulty;
  for (const auto& c : probabilities["classes"]) classes << QString::fromStdString(c.get<std::string>());
  for (const auto& p : probabilities["golden"]) golden << p.get<double>();
  for (const auto& p : probabilities["faulty"]) faulty << p.get<double>();
  probs.set_probabilities(classes, golden, faulty);

  const widgets::ExportOptions size{o.width, o.height, o.dpi};
  std::vector<std::string> files;
  for (widgets::PlotView* view : std::initializer_list<widgets::PlotView*>{&features, &propagation, &probs}) {
    view->resize(o.width, o.height);
    const QString base = QDir(QString::fromStdString(o.out_dir)).filePath(view->stem());
    QString error;
    const QStringList written = view->export_figure(base, size, &error);
    if (written.isEmpty()) throw StoreError(error.toStdString());
    for (const QString& w : written) files.push_back(w.toStdString());
  }
  return files;
}

}  // namespace faultscape::cli
