// Path-tracking reading of JSON configuration: every problem is recorded as "<json path>: <message>"
// and all of them are collected before one error is thrown, so a user fixes a file in one pass.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"

namespace faultscape {

// A configuration with one or more problems. what() is "<source>: N problem(s)" followed by the
// problems, one per line; problems() lists them without the header.
class ValidationError : public ConfigError {
 public:
  ValidationError(const std::string& source, std::vector<std::string> problems);
  const std::string& source() const { return source_; }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::string source_;
  std::vector<std::string> problems_;
};

// The problems found in one document, in the order they were found.
class Problems {
 public:
  void add(const std::string& path, const std::string& message);
  bool empty() const { return list_.empty(); }
  const std::vector<std::string>& list() const { return list_; }
  // Throws ValidationError naming `source` when any problem was recorded.
  void throw_if_any(const std::string& source) const;

 private:
  std::vector<std::string> list_;
};

// "12", "\"fp32\"", "[1,2,3]" — a value as it appears in a message, shortened when long.
std::string describe_value(const nlohmann::json& value);

// Reads the fields of one JSON object. Getters leave the output untouched when the key is absent
// (so the struct's default stays) or the value is invalid (a problem is recorded instead).
// Every key a getter asks for becomes known; report_unknown() then flags the rest as typos.
class Reader {
 public:
  // `path` is the JSON path of `value`; "" for the document root.
  Reader(const nlohmann::json& value, std::string path, Problems& problems);

  const std::string& path() const { return path_; }
  const nlohmann::json& value() const { return *value_; }
  bool is_object() const { return value_->is_object(); }
  // Whether `key` is present; marks it known.
  bool has(const std::string& key);
  std::string path_of(const std::string& key) const;
  void problem(const std::string& key, const std::string& message);

  void get(const std::string& key, std::string& out);
  void get(const std::string& key, bool& out);
  // Integers within [min, max]; max defaults to the largest value of the output type.
  template <class Int>
  void get_int(const std::string& key, Int& out, int64_t min,
               int64_t max = static_cast<int64_t>(std::numeric_limits<Int>::max())) {
    int64_t v = 0;
    if (read_int(key, v, min, max)) out = static_cast<Int>(v);
  }
  // A seed: any integer in 0 .. 2^64-1.
  void get_seed(const std::string& key, uint64_t& out);
  // A number satisfying `ok`; `expected` describes the rule: "a number > 0".
  void get_number(const std::string& key, double& out, const std::function<bool(double)>& ok,
                  const std::string& expected);
  void get_choice(const std::string& key, std::string& out, const std::vector<std::string>& choices);
  // Any JSON value, kept as it is for later validation.
  void get_raw(const std::string& key, nlohmann::json& out);
  // The object under `key`; an empty object when absent, or when not an object (problem recorded).
  Reader object(const std::string& key);
  // The array under `key`, or nullptr when absent or not an array (problem recorded).
  const nlohmann::json* array(const std::string& key);

  // Records "<path>.<key>: unknown key" for every key no getter asked for.
  void report_unknown();

 private:
  const nlohmann::json* field(const std::string& key);  // marks known; nullptr when absent
  bool read_int(const std::string& key, int64_t& out, int64_t min, int64_t max);

  const nlohmann::json* value_;
  std::string path_;
  Problems* problems_;
  std::set<std::string> known_;
};

// A stand-alone section (e.g. assembled from CLI options): starts from `base`, reads `j` with the
// section's `read_config(Reader&, Config&)` and throws ValidationError "<source>: N problem(s) ..."
// listing every problem.
template <class Config>
Config parse_section(const nlohmann::json& j, const std::string& source, const Config& base) {
  Problems problems;
  Config config = base;
  Reader reader(j, "", problems);
  read_config(reader, config);
  problems.throw_if_any(source);
  return config;
}

// Quoted, comma-separated choices for messages: "\"adam\", \"sgd\"".
std::string quoted_list(const std::vector<std::string>& choices);

}  // namespace faultscape
