// One key of a project-file object as the user sees it: its type, default, valid range and a
// one-sentence description naming its paper. Engine descriptors (protection schemes) declare their
// keys this way; the workbench builds its forms from them and the tests check them against the
// readers. No LibTorch, no Qt.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace faultscape {

struct FieldSchema {
  enum class Type {
    Choice,  // one of `choices`; choices that read as integers are stored as numbers
    Int,     // an integer within [min, max]
    Real,    // a number
    Bool,
    List,  // a list of names and / or numbers
  };
  std::string key;
  std::string label;  // short form label: "Duplicated share"
  Type type = Type::Real;
  std::string tooltip;      // what it means, and the paper it comes from
  nlohmann::json fallback;  // the engine's default when the key is absent; null = see placeholder
  std::vector<std::string> choices = {};
  double min = 0, max = 2147483647;
  std::string placeholder = {};           // what absence means, where it is not a single value
  nlohmann::json applies_when = nullptr;  // {"mode": "optimized"}: read only with those values; null = always
};

}  // namespace faultscape
