// Who evaluates a campaign's trials. A campaign cuts its trials into chunks (a TrialSchedule hands
// them out and takes their results back); an executor decides where each chunk is evaluated: here,
// one after the other (the default), only every N-th chunk (a shard of a Slurm array job), or on
// other processes (MPI ranks, cluster/mpi_executor.h). Every process of a distributed run builds the
// same campaign from the same configuration, so a chunk is sent as trial indices, never as data.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/result_store.h"

namespace faultscape {

struct TrialChunk {
  int64_t id = 0;               // position in the campaign's plan, the same in every process
  int64_t point = 0;            // the campaign's unit the trials belong to (BER point, stuck site)
  std::vector<int64_t> trials;  // trial indices, ascending
};

struct ChunkResult {
  std::vector<TrialRow> rows;               // one per trial of the chunk
  int64_t executed_macs = 0;                // multiply-accumulates actually run, all trials together
  std::map<std::string, int64_t> counters;  // which evaluation path the trials took
};

nlohmann::json to_json(const TrialChunk& chunk);
TrialChunk chunk_from_json(const nlohmann::json& j);
nlohmann::json to_json(const ChunkResult& result);
ChunkResult chunk_result_from_json(const nlohmann::json& j);

using ChunkEvaluator = std::function<ChunkResult(const TrialChunk&)>;

class TrialSchedule {
 public:
  virtual ~TrialSchedule() = default;
  // The next chunk to evaluate; nullopt when none can be handed out before results come back (an
  // adaptive point waiting for its interval) or when none is left.
  virtual std::optional<TrialChunk> next() = 0;
  // Results of a chunk handed out by next(): recorded, counted, reported.
  virtual void complete(const TrialChunk& chunk, ChunkResult result) = 0;
  virtual bool finished() const = 0;
  // Whether the plan depends on results (adaptive stopping): then no chunk may be skipped.
  virtual bool adaptive() const { return false; }
};

class TrialExecutor {
 public:
  virtual ~TrialExecutor() = default;
  // Processes evaluating chunks at the same time: sizes the chunks a schedule hands out ahead.
  virtual int workers() const { return 1; }
  // Whether this process records results and writes summaries (false on MPI worker ranks).
  virtual bool records() const { return true; }
  // Runs the schedule to its end: default, every chunk here in plan order.
  virtual void execute(TrialSchedule& schedule, const ChunkEvaluator& evaluate);
  // The recording process's `text` replaces the others' (MPI: sent by rank 0); alone, a no-op.
  virtual void share(std::string& /*text*/) {}
  // Every process's counters added up into the recording process's (the others' stay as they
  // are); alone, a no-op.
  virtual void sum(std::map<std::string, int64_t>& /*counters*/) {}
  // Short description for logs and summaries ("local", "shard 2/8", "mpi 4 ranks").
  virtual std::string describe() const { return "local"; }
  // What distributing the work cost, for benchmarks (null when nothing is distributed).
  virtual nlohmann::json stats() const { return nullptr; }
};

// A shard of a Slurm array job: of the planned chunks, only those with id % count == index.
class ShardExecutor : public TrialExecutor {
 public:
  ShardExecutor(int index, int count);
  void execute(TrialSchedule& schedule, const ChunkEvaluator& evaluate) override;
  std::string describe() const override;
  int index() const { return index_; }
  int count() const { return count_; }

 private:
  int index_, count_;
};

}  // namespace faultscape
