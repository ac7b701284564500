#include <torch/torch.h>  // before any Qt header (Qt's `slots` macro breaks torch's headers)

#include "engine_bridge.h"

#include "data/dataset.h"
#include "models/zoo.h"
#include "project/config_json.h"
#include "project/project.h"
#include "protect/protection_spec.h"
#include "runtime/device.h"
#include "runtime/runtime.h"

#include <QObject>

namespace faultscape::gui {

QStringList validate_project(const nlohmann::json& doc) {
  // The engine's one reader, exactly as a load or a run uses it: its messages, once each.
  QStringList out;
  try {
    parse_project(doc, "project");
  } catch (const ValidationError& e) {
    for (const auto& p : e.problems()) out << QString::fromStdString(p);
  } catch (const std::exception& e) {
    out << QString::fromStdString(e.what());
  }
  return out;
}

bool read_project_document(const QString& path, nlohmann::json* doc, QString* error) {
  try {
    nlohmann::json j = read_project_json(path.toStdString());
    if (!j.is_object()) {
      *error = path + QStringLiteral(": not a project file (a JSON object is expected)");
      return false;
    }
    *doc = std::move(j);
    return true;
  } catch (const std::exception& e) {
    *error = QString::fromStdString(e.what());
    return false;
  }
}

QStringList engine_protection_schemes() {
  QStringList names;
  for (const auto& n : faultscape::protection_schemes()) names << QString::fromStdString(n);
  return names;
}

QStringList zoo_model_names() {
  QStringList names;
  for (const auto& n : zoo_names()) names << QString::fromStdString(n);
  names << "torchscript";
  return names;
}

QStringList dataset_names_list() {
  QStringList names;
  for (const auto& n : dataset_names()) names << QString::fromStdString(n);
  return names;
}

QStringList device_choices_list() {
  QStringList names;
  for (const auto& n : device_choices()) names << QString::fromStdString(n);
  return names;
}

QString detected_devices_text() {
  QStringList gpus;
  for (const auto& n : device_choices()) {
    if (n.rfind("cuda:", 0) != 0) continue;
    const std::string name = device_name(resolve_device(n));
    gpus << QString::fromStdString(n + (name.empty() ? "" : " = " + name));
  }
  return gpus.isEmpty() ? QObject::tr("no CUDA GPU found (LibTorch %1): the CPU computes")
                              .arg(QString::fromStdString(torch_version()))
                        : QObject::tr("GPUs found: %1").arg(gpus.join(", "));
}

nlohmann::json engine_training_defaults() {
  TrainConfig c;
  c.fault_aware.method = 1;
  c.dropout.kind = "dropout";
  c.learned_threshold.enabled = c.quant_bound.enabled = c.bitflip_training.enabled = c.saturating_weights.enabled =
      true;
  c.subnetwork_layers = {"conv0"};  // written only when it names stages
  return to_json(c);
}

nlohmann::json engine_prune_defaults() { return to_json(PruneConfig{}); }

nlohmann::json engine_protection_defaults(const QString& scheme) {
  // "layers" is given because some schemes require it (bypass).
  const nlohmann::json item = {{"scheme", scheme.toStdString()}, {"layers", {"conv0"}}};
  return parse_protection(nlohmann::json::array({item}), "defaults").front().to_json();
}

}  // namespace faultscape::gui
