// The GUI's synchronous, cheap calls into the engine (no forward pass): validating the project
// document and listing the names the engine accepts. Kept in one translation unit so that only it
// (and the worker) compiles LibTorch headers.
#pragma once
#include <nlohmann/json.hpp>

#include <QStringList>

namespace faultscape::gui {

// Every problem of the document as "<json path>: <message>" (e.g. "experiments[0].faults.kind:
// expected ..."): the project schema, each experiment's fault model, campaign and protection list.
// Empty when valid.
QStringList validate_project(const nlohmann::json& doc);

// Reads a project file exactly as the CLI does (size limit, comments allowed, duplicate keys and
// depth refused); false with the CLI's message in *error ("<path>: invalid JSON at line L,
// column C: ...") when it cannot be read or is not a JSON object.
bool read_project_document(const QString& path, nlohmann::json* doc, QString* error);

QStringList zoo_model_names();  // the zoo plus "torchscript"
QStringList dataset_names_list();
// The device settings this machine can run ("auto", "cpu", and "cuda", "cuda:0".. per GPU), and a
// line naming the GPUs found ("cuda:0 = NVIDIA H100 80GB HBM3") or saying there is none.
QStringList device_choices_list();
QString detected_devices_text();
QStringList engine_protection_schemes();  // the schemes the engine accepts in "protection"
// The engine's defaults, as a project file would hold them, to check the forms' fallbacks against:
// every optional training object switched on ({"fault_aware": {...}, "dropout": {...}, ...}), and
// one protection scheme's object.
nlohmann::json engine_training_defaults();
// The engine's "prune" object with every default written.
nlohmann::json engine_prune_defaults();
nlohmann::json engine_protection_defaults(const QString& scheme);

}  // namespace faultscape::gui
