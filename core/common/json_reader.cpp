#include "common/json_reader.h"

#include <algorithm>
#include <cmath>

namespace faultscape {
namespace {

std::string join_problems(const std::string& source, const std::vector<std::string>& problems) {
  std::string text = source + ": " + std::to_string(problems.size()) + " problem(s)";
  for (const auto& p : problems) text += "\n  " + p;
  return text;
}

// Edit distance, to suggest the intended key for a typo.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

ValidationError::ValidationError(const std::string& source, std::vector<std::string> problems)
    : ConfigError(join_problems(source, problems)), source_(source), problems_(std::move(problems)) {}

void Problems::add(const std::string& path, const std::string& message) {
  list_.push_back((path.empty() ? std::string("(root)") : path) + ": " + message);
}

void Problems::throw_if_any(const std::string& source) const {
  if (!list_.empty()) throw ValidationError(source, list_);
}

std::string describe_value(const nlohmann::json& value) {
  constexpr size_t kMax = 40;
  // A string from the command line (--set VALUE that is not JSON) may hold bytes that are not
  // UTF-8, which dump() would throw on (found by fuzz_overrides): they print as U+FFFD.
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kMax) {
    size_t cut = kMax - 3;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    text = text.substr(0, cut) + "...";
  }
  return text;
}

std::string quoted_list(const std::vector<std::string>& choices) {
  std::string text;
  for (const auto& c : choices) text += (text.empty() ? "\"" : ", \"") + c + "\"";
  return text;
}

Reader::Reader(const nlohmann::json& value, std::string path, Problems& problems)
    : value_(&value), path_(std::move(path)), problems_(&problems) {
  if (!value.is_object()) problems_->add(path_, "expected an object, got " + describe_value(value));
}

std::string Reader::path_of(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

void Reader::problem(const std::string& key, const std::string& message) { problems_->add(path_of(key), message); }

bool Reader::has(const std::string& key) { return field(key) != nullptr; }

const nlohmann::json* Reader::field(const std::string& key) {
  known_.insert(key);
  if (!value_->is_object()) return nullptr;
  auto it = value_->find(key);
  return it == value_->end() ? nullptr : &*it;
}

void Reader::get(const std::string& key, std::string& out) {
  const auto* v = field(key);
  if (!v) return;
  // A NUL would silently cut a name or path short where it reaches a C API.
  if (v->is_string() && v->get_ref<const std::string&>().find('\0') != std::string::npos)
    problem(key, "holds a NUL character: " + describe_value(*v));
  else if (v->is_string())
    out = v->get<std::string>();
  else
    problem(key, "expected a string, got " + describe_value(*v));
}

void Reader::get(const std::string& key, bool& out) {
  const auto* v = field(key);
  if (!v) return;
  if (v->is_boolean())
    out = v->get<bool>();
  else
    problem(key, "expected true or false, got " + describe_value(*v));
}

bool Reader::read_int(const std::string& key, int64_t& out, int64_t min, int64_t max) {
  const auto* v = field(key);
  if (!v) return false;
  // nlohmann stores non-negative literals as unsigned: compare those without a signed cast.
  bool too_big = false, in_range = false;
  if (v->is_number_unsigned()) {
    too_big = v->get<uint64_t>() > static_cast<uint64_t>(max);
    in_range = !too_big && v->get<int64_t>() >= min;
  } else if (v->is_number_integer()) {
    too_big = v->get<int64_t>() > max;
    in_range = !too_big && v->get<int64_t>() >= min;
  }
  if (in_range) {
    out = v->get<int64_t>();
    return true;
  }
  // Ranges that end at a type's limit are described by their lower bound only.
  std::string expected;
  if (max < std::numeric_limits<int32_t>::max())
    expected = "an integer in " + std::to_string(min) + ".." + std::to_string(max);
  else if (too_big)
    expected = "an integer <= " + std::to_string(max);
  else
    expected = "an integer >= " + std::to_string(min);
  problem(key, "expected " + expected + ", got " + describe_value(*v));
  return false;
}

void Reader::get_seed(const std::string& key, uint64_t& out) {
  const auto* v = field(key);
  if (!v) return;
  if (v->is_number_unsigned() || (v->is_number_integer() && v->get<int64_t>() >= 0))
    out = v->get<uint64_t>();
  else
    problem(key, "expected an integer >= 0, got " + describe_value(*v));
}

void Reader::get_number(const std::string& key, double& out, const std::function<bool(double)>& ok,
                        const std::string& expected) {
  const auto* v = field(key);
  if (!v) return;
  // Infinity (e.g. "--lr inf") satisfies "> 0" but is never a meaningful setting.
  if (v->is_number() && std::isfinite(v->get<double>()) && ok(v->get<double>()))
    out = v->get<double>();
  else
    problem(key, "expected " + expected + ", got " +
                     (v->is_number() && !std::isfinite(v->get<double>()) ? std::to_string(v->get<double>())
                                                                         : describe_value(*v)));
}

void Reader::get_choice(const std::string& key, std::string& out, const std::vector<std::string>& choices) {
  const auto* v = field(key);
  if (!v) return;
  if (v->is_string() && std::count(choices.begin(), choices.end(), v->get<std::string>()))
    out = v->get<std::string>();
  else
    problem(key, "expected one of " + quoted_list(choices) + ", got " + describe_value(*v));
}

void Reader::get_raw(const std::string& key, nlohmann::json& out) {
  if (const auto* v = field(key)) out = *v;
}

Reader Reader::object(const std::string& key) {
  static const nlohmann::json empty = nlohmann::json::object();
  const auto* v = field(key);
  return Reader(v ? *v : empty, path_of(key), *problems_);
}

const nlohmann::json* Reader::array(const std::string& key) {
  const auto* v = field(key);
  if (v && !v->is_array()) {
    problem(key, "expected an array, got " + describe_value(*v));
    return nullptr;
  }
  return v;
}

void Reader::report_unknown() {
  if (!value_->is_object()) return;
  for (const auto& item : value_->items()) {
    if (known_.count(item.key())) continue;
    // Suggest the closest known key when the typo is small; otherwise list them all.
    std::string best;
    size_t best_distance = 3;
    for (const auto& k : known_) {
      size_t d = edit_distance(item.key(), k);
      if (d < best_distance) best = k, best_distance = d;
    }
    if (!best.empty())
      problem(item.key(), "unknown key (did you mean \"" + best + "\"?)");
    else
      problem(item.key(), "unknown key; expected one of " + quoted_list({known_.begin(), known_.end()}));
  }
}

}  // namespace faultscape
