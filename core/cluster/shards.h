// Slurm without MPI: `run --shard I/N` evaluates every N-th chunk of each campaign into a shard
// database of its own, and merge_shards joins the shards into the project's database, refusing
// shards that do not belong together and naming the trials that are missing.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/observer.h"

namespace faultscape {

struct ShardId {
  int index = 0, count = 1;
};

// "I/N" with 0 <= I < N; ConfigError naming the text otherwise.
ShardId parse_shard(const std::string& text);
// <database without .sqlite>.shard-I-of-N.sqlite, next to the project's database.
std::string shard_database_path(const std::string& database, const ShardId& shard);

// Merges the campaign runs of the shard databases into `out` (created when missing; its lock is
// taken): one run per configuration holding the union of the shards' trials and the summary
// recomputed from them, plus one copy of each evaluation run; design spaces are Pareto-sorted again
// from the merged points. Everything is checked before anything is written: shards of other
// configurations, code versions or shard counts, a missing shard and missing or conflicting trials
// are refused (StoreError / ConfigError naming them). Returns what was merged.
nlohmann::json merge_shards(const std::string& out, const std::vector<std::string>& shards, Observer* observer);

}  // namespace faultscape
