// export: runs of a results database (given directly or through its project file) as CSV or JSON.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "common/error.h"
#include "project/project.h"
#include "store/result_store.h"

namespace faultscape::cli {

nlohmann::json cmd_export(const GlobalOptions& g, const std::string& source, long long run, const std::string& format,
                          const std::string& out_dir) {
  std::string db = source;
  if (std::filesystem::path(source).extension() == ".json") db = load_project(source).database_path();
  if (!std::filesystem::exists(db)) throw StoreError(db + ": results database does not exist");
  if (format != "csv" && format != "json") throw ConfigError("--format: expected csv or json, got \"" + format + "\"");
  ResultStore store(db, ResultStore::Access::read_only);  // never writes a schema into a foreign file
  std::vector<int64_t> ids;
  if (run > 0)
    ids.push_back(store.run(run).id);
  else
    for (const RunRow& r : store.runs()) ids.push_back(r.id);
  std::filesystem::create_directories(out_dir);
  nlohmann::json files = nlohmann::json::array();
  for (int64_t id : ids) {
    if (format == "csv") {
      for (const std::string& f : store.export_csv(id, out_dir)) files.push_back(f);
    } else {
      std::string path = (std::filesystem::path(out_dir) / ("run" + std::to_string(id) + ".json")).string();
      std::string tmp = path + ".tmp";
      std::ofstream(tmp) << store.export_json(id).dump(2) << "\n";
      std::filesystem::rename(tmp, path);
      files.push_back(path);
    }
  }
  if (!g.json)
    for (const auto& f : files) std::printf("%s\n", f.get<std::string>().c_str());
  return {{"command", "export"}, {"database", db}, {"runs", ids}, {"files", files}};
}

}  // namespace faultscape::cli
