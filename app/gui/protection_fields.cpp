// The protection schemes' forms, built from the engine's scheme descriptors
// (core/protect/scheme_*.cpp): the GUI offers exactly the keys, defaults, ranges and paper
// references that the engine declares, so a new scheme needs no GUI code.
#include <QObject>

#include "field_spec.h"
#include "protect/protection_spec.h"

namespace faultscape::gui {
namespace {

FieldSpec::Type form_type(FieldSchema::Type t) {
  switch (t) {
    case FieldSchema::Type::Choice:
      return FieldSpec::Type::Choice;
    case FieldSchema::Type::Int:
      return FieldSpec::Type::Int;
    case FieldSchema::Type::Real:
      return FieldSpec::Type::Real;
    case FieldSchema::Type::Bool:
      return FieldSpec::Type::Bool;
    case FieldSchema::Type::List:
      return FieldSpec::Type::List;
  }
  return FieldSpec::Type::Text;
}

FieldSpec form_field(const FieldSchema& f) {
  QStringList choices;
  for (const auto& c : f.choices) choices << QString::fromStdString(c);
  return {f.key,
          QObject::tr(f.label.c_str()),
          form_type(f.type),
          QString::fromStdString(f.tooltip),
          f.fallback,
          choices,
          f.min,
          f.max,
          QString::fromStdString(f.placeholder)};
}

const SchemeInfo* find(const QString& name) {
  for (const SchemeInfo& s : protection_scheme_infos())
    if (s.name == name.toStdString()) return &s;
  return nullptr;
}

}  // namespace

QStringList protection_schemes() {
  QStringList names;
  for (const SchemeInfo& s : protection_scheme_infos()) names << QString::fromStdString(s.name);
  return names;
}

QString protection_title(const QString& scheme) {
  const SchemeInfo* s = find(scheme);
  return s ? QObject::tr(s->title.c_str()) : scheme;
}

QString protection_tooltip(const QString& scheme) {
  const SchemeInfo* s = find(scheme);
  return s ? QString::fromStdString(s->summary) : QObject::tr("Unknown protection scheme");
}

std::vector<FieldSpec> protection_fields(const QString& scheme) {
  std::vector<FieldSpec> fields;
  if (const SchemeInfo* s = find(scheme))
    for (const FieldSchema& f : s->fields) fields.push_back(form_field(f));
  return fields;
}

}  // namespace faultscape::gui
