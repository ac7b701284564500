// CSV and JSON export of one run. Files are written to a temporary name and renamed into place,
// so a reader never sees half a file and an interrupted export leaves the previous one intact.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "common/error.h"
#include "store/result_store.h"
#include "store/sqlite.h"

namespace faultscape {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json number_or_null(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

// {"a": {"b": 1}, "c": 2} -> {"a.b": 1, "c": 2}; arrays stay whole.
void flatten(const json& value, const std::string& prefix, std::map<std::string, json>& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& item : value.items())
      flatten(item.value(), prefix.empty() ? item.key() : prefix + "." + item.key(), out);
  } else if (!prefix.empty()) {
    out[prefix] = value;
  } else if (!value.is_null() && !value.is_object()) {
    out["value"] = value;  // a bare scalar or array where an object was expected
  }
}

std::string cell(const json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

// RFC 4180: quote fields holding a separator, quote or line break; double inner quotes.
std::string csv_escape(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char c : field) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_escape(fields[i]);
  return line + "\n";
}

void write_atomically(const fs::path& path, const std::string& text) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw StoreError(temporary.string() + ": cannot write the export");
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) throw StoreError(path.string() + ": cannot write the export: " + ec.message());
}

// Column names in first-seen order, keyed for lookup.
struct Columns {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  void add(const std::map<std::string, json>& row) {
    for (const auto& [key, value] : row)
      if (seen.insert(key).second) keys.push_back(key);
  }
};

std::string trials_csv(const std::vector<TrialRow>& trials) {
  std::vector<std::map<std::string, json>> params(trials.size()), metrics(trials.size());
  Columns param_columns, metric_columns;
  for (size_t i = 0; i < trials.size(); ++i) {
    flatten(trials[i].params, "", params[i]);
    flatten(trials[i].metrics, "", metrics[i]);
    param_columns.add(params[i]);
    metric_columns.add(metrics[i]);
  }
  // A key that clashes with a fixed column or a param gets its group as prefix in the header.
  const std::set<std::string> fixed = {"trial", "accuracy"};
  std::vector<std::string> header = {"trial"};
  for (const auto& k : param_columns.keys) header.push_back(fixed.count(k) ? "params." + k : k);
  header.push_back("accuracy");
  for (const auto& k : metric_columns.keys)
    header.push_back(fixed.count(k) || param_columns.seen.count(k) ? "metrics." + k : k);

  std::string text = csv_line(header);
  for (size_t i = 0; i < trials.size(); ++i) {
    std::vector<std::string> fields = {std::to_string(trials[i].trial)};
    for (const auto& k : param_columns.keys) fields.push_back(params[i].count(k) ? cell(params[i][k]) : "");
    fields.push_back(cell(number_or_null(trials[i].accuracy)));
    for (const auto& k : metric_columns.keys) fields.push_back(metrics[i].count(k) ? cell(metrics[i][k]) : "");
    text += csv_line(fields);
  }
  return text;
}

std::string metrics_csv(const std::vector<MetricRow>& metrics) {
  std::string text = csv_line({"name", "step", "value", "detail"});
  for (const auto& m : metrics)
    text += csv_line({m.name, std::to_string(m.step), cell(number_or_null(m.value)), cell(m.detail)});
  return text;
}

}  // namespace

std::vector<std::string> ResultStore::export_csv(int64_t run, const std::string& dir) const {
  std::vector<TrialRow> trial_rows;
  std::vector<MetricRow> metric_rows;
  {
    sqlite::Transaction snapshot(*db_, sqlite::Transaction::Mode::read);
    this->run(run);  // a missing run is an error, not two empty files
    trial_rows = trials(run);
    metric_rows = metrics(run);
    snapshot.commit();
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw StoreError(dir + ": cannot create the export directory: " + ec.message());
  const std::string stem = "run" + std::to_string(run);
  const fs::path trials_path = fs::path(dir) / (stem + "_trials.csv");
  const fs::path metrics_path = fs::path(dir) / (stem + "_metrics.csv");
  write_atomically(trials_path, trials_csv(trial_rows));
  write_atomically(metrics_path, metrics_csv(metric_rows));
  return {trials_path.string(), metrics_path.string()};
}

json ResultStore::export_json(int64_t run) const {
  sqlite::Transaction snapshot(*db_, sqlite::Transaction::Mode::read);
  json out = {{"run", to_json(this->run(run))}, {"metrics", json::array()}, {"trials", json::array()}};
  for (const auto& m : metrics(run)) out["metrics"].push_back(to_json(m));
  for (const auto& t : trials(run)) out["trials"].push_back(to_json(t));
  snapshot.commit();
  return out;
}

json to_json(const RunRow& r) {
  return {{"id", r.id},
          {"project", r.project},
          {"experiment", r.experiment},
          {"kind", r.kind},
          {"config", r.config},
          {"config_hash", r.config_hash},
          {"seed", r.seed},
          {"code_version", r.code_version},
          {"torch_version", r.torch_version},
          {"started_at", r.started_at},
          {"ended_at", r.ended_at.empty() ? json(nullptr) : json(r.ended_at)},
          {"status", r.status},
          {"error", r.error.empty() ? json(nullptr) : json(r.error)},
          {"summary", r.summary}};
}

json to_json(const MetricRow& m) {
  return {{"name", m.name}, {"value", number_or_null(m.value)}, {"step", m.step}, {"detail", m.detail}};
}

json to_json(const TrialRow& t) {
  return {{"trial", t.trial}, {"params", t.params}, {"accuracy", number_or_null(t.accuracy)}, {"metrics", t.metrics}};
}

}  // namespace faultscape
