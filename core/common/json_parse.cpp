#include "common/json_parse.h"

#include <algorithm>
#include <set>
#include <vector>

namespace faultscape {
namespace {

using nlohmann::json;

// The description after nlohmann's "[json.exception...] parse error at ...: " prefix.
std::string description(const std::string& what) {
  size_t at = what.find("parse error");
  size_t colon = at == std::string::npos ? at : what.find(": ", at);
  if (colon != std::string::npos) return what.substr(colon + 2);
  size_t bracket = what.find("] ");  // "[json.exception.out_of_range.406] number overflow ..."
  return what.rfind("[json.exception", 0) == 0 && bracket != std::string::npos ? what.substr(bracket + 2) : what;
}

struct LimitHit {
  std::string what;
};

}  // namespace

json parse_json(const std::string& text, bool ignore_comments) {
  std::vector<std::set<std::string>> keys;  // the keys seen in each open object
  int depth = 0;
  json::parser_callback_t check = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (++depth > kMaxJsonDepth) throw LimitHit{"nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
        if (event == json::parse_event_t::object_start) keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        keys.pop_back();
        --depth;
        break;
      case json::parse_event_t::array_end:
        --depth;
        break;
      case json::parse_event_t::key: {
        const std::string& key = parsed.get_ref<const std::string&>();
        if (!keys.empty() && !keys.back().insert(key).second)
          throw LimitHit{"duplicate key \"" + key + "\" in one object"};
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    return json::parse(text, check, /*allow_exceptions=*/true, ignore_comments);
  } catch (const LimitHit& hit) {
    throw JsonError(hit.what, JsonError::Kind::limit, 0);
  } catch (const json::parse_error& e) {
    throw JsonError(description(e.what()), JsonError::Kind::syntax, e.byte);
  } catch (const json::exception& e) {  // number overflow ("1e400") and the like
    throw JsonError(description(e.what()), JsonError::Kind::syntax, 0);
  }
}

std::string json_position(const std::string& text, size_t byte) {
  size_t end = std::min(byte == 0 ? 0 : byte - 1, text.size());
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < end; ++i)
    if (text[i] == '\n') ++line, line_start = i + 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(end - line_start + 1);
}

}  // namespace faultscape
