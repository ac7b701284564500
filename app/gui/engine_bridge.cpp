#include <torch/torch.h>  // before any Qt header (Qt's `slots` macro breaks torch's headers)

#include "engine_bridge.h"

#include "campaign/campaign_setup.h"
#include "data/dataset.h"
#include "models/zoo.h"
#include "project/config_json.h"
#include "project/project.h"
#include "protect/protection_spec.h"

namespace faultscape::gui {

QStringList validate_project(const nlohmann::json& doc) {
  QStringList out;
  auto add = [&](const std::vector<std::string>& list) {
    for (const auto& p : list) out << QString::fromStdString(p);
  };
  try {
    parse_project(doc, "project");
  } catch (const ValidationError& e) {
    add(e.problems());
  } catch (const std::exception& e) {
    out << QString::fromStdString(e.what());
  }
  // The project parser keeps faults, campaign and protection verbatim; their own readers validate them.
  if (doc.is_object() && doc.contains("experiments") && doc["experiments"].is_array()) {
    const auto& list = doc["experiments"];
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_object()) continue;
      Problems problems;
      const std::string path = "experiments[" + std::to_string(i) + "]";
      read_campaign_setup(list[i].value("faults", nlohmann::json()), list[i].value("campaign", nlohmann::json()), path,
                          problems);
      read_protection(list[i].value("protection", nlohmann::json()), path, problems);
      add(problems.list());
    }
  }
  out.removeDuplicates();  // the project parser may report some of these too
  return out;
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

nlohmann::json engine_training_defaults() {
  TrainConfig c;
  c.fault_aware.method = 1;
  c.dropout.kind = "dropout";
  c.learned_threshold.enabled = c.quant_bound.enabled = c.bitflip_training.enabled = c.saturating_weights.enabled =
      true;
  c.subnetwork_layers = {"conv0"};  // written only when it names stages
  return to_json(c);
}

nlohmann::json engine_protection_defaults(const QString& scheme) {
  // "layers" is given because some schemes require it (bypass).
  const nlohmann::json item = {{"scheme", scheme.toStdString()}, {"layers", {"conv0"}}};
  return parse_protection(nlohmann::json::array({item}), "defaults").front().to_json();
}

}  // namespace faultscape::gui
