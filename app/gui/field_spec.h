// Declarative description of the form fields that edit one object of the project JSON. Each field
// is a key the engine reads (see core/*/..._config.cpp, core/ftt/fat_json.cpp,
// core/protect/protection_spec.cpp): the GUI offers exactly the knobs of the project file, with
// the engine's defaults shown when a key is absent.
#pragma once
#include <nlohmann/json.hpp>

#include <QString>
#include <QStringList>
#include <vector>

namespace faultscape::gui {

struct FieldSpec {
  enum class Type {
    Choice,     // combo box; choices that read as integers are stored as numbers ("float" / 1..8)
    Int,        // spin box within [min, max]
    Real,       // text with a number validator (rates such as 1e-7 need more than a spin box)
    Seed,       // unsigned 64-bit integer as text
    Bool,       // check box
    Text,       // free text (paths, names)
    List,       // comma-separated numbers and/or names; `fallback` when left empty
    Json,       // any JSON value as text (nested structures such as a protection grid); empty = absent
    File,       // path of an existing file, with a "…" picker; `choices` are its name filters
    SaveFile,   // path of a file to write, with a "…" picker; `choices` are its name filters
    Directory,  // path of a directory, with a "…" picker
  };
  std::string key;  // relative JSON pointer inside the object: "kind", "synthetic/train"
  QString label;
  Type type = Type::Text;
  QString tooltip;          // one sentence: what it means (and the paper it comes from)
  nlohmann::json fallback;  // the engine's default, shown when the key is absent
  QStringList choices = {};
  double min = 0, max = 2147483647;
  QString placeholder = {};  // shown by an empty text field: what absence means
};

// Sections of an experiment and of the project root. Choice lists for models and datasets come
// from the engine (engine_bridge.h) so they never drift from what it accepts.
// devices: the device settings this machine can run; detected: a line naming its GPUs.
std::vector<FieldSpec> project_fields(const QStringList& devices, const QString& detected);
std::vector<FieldSpec> dataset_fields(const QStringList& datasets);
std::vector<FieldSpec> model_fields(const QStringList& models);
std::vector<FieldSpec> training_fields();
// The experiment's optional "prune" object (hardening paper, section IV); absent = no pruning.
std::vector<FieldSpec> prune_fields();
std::vector<FieldSpec> fault_fields();
std::vector<FieldSpec> campaign_fields();

// An optional object of "training" (fault-aware training, dropout, robust-training methods) whose
// absence means "off"; one entry per object, in form order (training_fields.cpp).
struct TrainingSection {
  std::string key;  // "fault_aware"
  QString title;
  QString tooltip;          // one sentence and its paper
  nlohmann::json on_value;  // what ticking the section writes (e.g. {"method": 1}: FAT on)
  std::vector<FieldSpec> fields;
};
std::vector<TrainingSection> training_sections();

// The protection schemes in the engine's menu order, with each scheme's keys, from the engine's
// scheme descriptors (protection_fields.cpp converts them; core/protect/scheme_registry.cpp).
QStringList protection_schemes();
QString protection_title(const QString& scheme);                  // "EDAC (channel duplication)"
QString protection_tooltip(const QString& scheme);                // one sentence and its paper
std::vector<FieldSpec> protection_fields(const QString& scheme);  // empty for an unknown scheme

}  // namespace faultscape::gui
