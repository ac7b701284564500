// The one way Faultscape parses JSON text it did not write itself (project files, --set values,
// rows of a results database, model records): at most kMaxJsonDepth levels of nesting, so a
// hostile document cannot overflow the stack of the recursive code that later copies, compares
// or prints it, and no key twice in one object, which would otherwise be silently "last wins".
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

#include "common/error.h"

namespace faultscape {

constexpr int kMaxJsonDepth = 256;

// What is wrong with a JSON text; the caller prefixes the file or field it came from.
struct JsonError : Error {
  enum class Kind { syntax, limit };  // limit: too deep or a duplicate key (the text is JSON)
  JsonError(const std::string& what, Kind kind, size_t byte) : Error(what), kind(kind), byte(byte) {}
  Kind kind;
  size_t byte;  // nlohmann's position of the syntax error (1-based; 0 when unknown)
};

nlohmann::json parse_json(const std::string& text, bool ignore_comments = false);

// "line L, column C" of a byte position reported by JsonError.
std::string json_position(const std::string& text, size_t byte);

}  // namespace faultscape
