#include <torch/torch.h>  // before any Qt header (Qt's `slots` macro breaks torch's headers)

#include "engine_bridge.h"

#include "campaign/campaign_setup.h"
#include "data/dataset.h"
#include "models/zoo.h"
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

}  // namespace faultscape::gui
