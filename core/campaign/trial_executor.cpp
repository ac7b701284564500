#include "campaign/trial_executor.h"

#include "common/error.h"

namespace faultscape {

nlohmann::json to_json(const TrialChunk& c) { return {{"id", c.id}, {"point", c.point}, {"trials", c.trials}}; }

TrialChunk chunk_from_json(const nlohmann::json& j) {
  return {j.at("id").get<int64_t>(), j.at("point").get<int64_t>(), j.at("trials").get<std::vector<int64_t>>()};
}

nlohmann::json to_json(const ChunkResult& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const TrialRow& row : r.rows) rows.push_back({row.trial, row.params, row.accuracy, row.metrics});
  return {{"rows", rows}, {"macs", r.executed_macs}, {"counters", r.counters}};
}

ChunkResult chunk_result_from_json(const nlohmann::json& j) {
  ChunkResult r;
  for (const auto& row : j.at("rows"))
    r.rows.push_back({row.at(0).get<int64_t>(), row.at(1), row.at(2).get<double>(), row.at(3)});
  r.executed_macs = j.at("macs").get<int64_t>();
  r.counters = j.at("counters").get<std::map<std::string, int64_t>>();
  return r;
}

void TrialExecutor::execute(TrialSchedule& schedule, const ChunkEvaluator& evaluate) {
  while (std::optional<TrialChunk> chunk = schedule.next()) schedule.complete(*chunk, evaluate(*chunk));
  if (!schedule.finished()) throw Error("campaign schedule stalled with no chunk outstanding (internal error)");
}

ShardExecutor::ShardExecutor(int index, int count) : index_(index), count_(count) {
  if (count < 1 || index < 0 || index >= count)
    throw ConfigError("--shard " + std::to_string(index) + "/" + std::to_string(count) +
                      ": expected I/N with 0 <= I < N");
}

void ShardExecutor::execute(TrialSchedule& schedule, const ChunkEvaluator& evaluate) {
  if (schedule.adaptive())
    throw ConfigError(
        "campaign.target_ci: an adaptive sweep decides each point's trial count from all of its results, so it "
        "cannot be split into independent shards; run it in one process or with MPI (mpirun)");
  while (std::optional<TrialChunk> chunk = schedule.next())
    if (chunk->id % count_ == index_) schedule.complete(*chunk, evaluate(*chunk));
}

std::string ShardExecutor::describe() const { return "shard " + std::to_string(index_) + "/" + std::to_string(count_); }

}  // namespace faultscape
