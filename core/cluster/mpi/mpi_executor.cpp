#include "cluster/mpi_executor.h"

#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/json_parse.h"

namespace faultscape {
namespace {

enum Tag : int { kResult = 1, kChunk = 2, kDone = 3, kShare = 4, kSum = 5 };

struct Message {
  int from = 0, tag = 0;
  std::string text;
};

void send(int to, int tag, const std::string& text) {
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

// A blocking receive that sleeps between polls (Open MPI's blocking receive spins on its core),
// and gives up when this process is asked to stop.
Message receive(int from, int tag, const StopToken* stop) {
  MPI_Status status;
  int ready = 0;
  std::chrono::microseconds pause(20);
  for (;;) {
    MPI_Iprobe(from, tag, MPI_COMM_WORLD, &ready, &status);
    if (ready) break;
    if (stop && stop->requested()) throw Cancelled();
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(500));
  }
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  Message m{status.MPI_SOURCE, status.MPI_TAG, std::string(static_cast<size_t>(count), '\0')};
  MPI_Recv(m.text.data(), count, MPI_CHAR, m.from, m.tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return m;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

}  // namespace

bool MpiSession::available() { return true; }

bool MpiSession::launched() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name)) return true;
  return false;
}

MpiSession::MpiSession(int* argc, char*** argv) {
  MPI_Init(argc, argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  local_size_ = std::max(1, env_int("OMPI_COMM_WORLD_LOCAL_SIZE", env_int("MPI_LOCALNRANKS", 1)));
}

MpiSession::~MpiSession() { MPI_Finalize(); }

void MpiSession::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);  // not reached: MPI_Abort ends the process
}

MpiExecutor::MpiExecutor(const MpiSession& session, const StopToken* stop)
    : rank_(session.rank()), size_(session.size()), stop_(stop) {}

int MpiExecutor::workers() const { return std::max(1, size_ - 1); }

std::string MpiExecutor::describe() const { return "mpi " + std::to_string(size_) + " ranks"; }

void MpiExecutor::execute(TrialSchedule& schedule, const ChunkEvaluator& evaluate) {
  if (size_ == 1) return TrialExecutor::execute(schedule, evaluate);
  if (rank_ == 0)
    coordinate(schedule);
  else
    work(evaluate);
}

// Rank 0: a rank that reports (with the rows of its last chunk, or none yet) gets the next chunk,
// or waits until one can be handed out; the campaign ends when the schedule is finished and every
// rank has reported back.
void MpiExecutor::coordinate(TrialSchedule& schedule) {
  const auto start = std::chrono::steady_clock::now();
  const size_t workers = static_cast<size_t>(size_ - 1);
  std::map<int, TrialChunk> busy;
  std::vector<int> idle;
  for (;;) {
    const auto handling = std::chrono::steady_clock::now();
    while (!idle.empty()) {
      std::optional<TrialChunk> chunk = schedule.next();
      if (!chunk) break;
      const int to = idle.back();
      idle.pop_back();
      send(to, kChunk, to_json(*chunk).dump());
      ++chunks_;
      trials_ += static_cast<int64_t>(chunk->trials.size());
      busy[to] = std::move(*chunk);
    }
    coordinator_seconds_ += seconds_since(handling);
    if (busy.empty() && idle.size() == workers) {
      if (schedule.finished()) break;
      throw Error("campaign schedule stalled with no chunk outstanding (internal error)");
    }
    Message m = receive(MPI_ANY_SOURCE, kResult, stop_);
    const auto received = std::chrono::steady_clock::now();
    if (auto it = busy.find(m.from); it != busy.end()) {
      const TrialChunk chunk = std::move(it->second);
      busy.erase(it);
      nlohmann::json result = parse_json(m.text);
      worker_seconds_ += result.value("overhead", 0.0);
      schedule.complete(chunk, chunk_result_from_json(result));
    }
    idle.push_back(m.from);
    coordinator_seconds_ += seconds_since(received);
  }
  for (int to : idle) send(to, kDone, "");
  wall_seconds_ += seconds_since(start);
}

void MpiExecutor::work(const ChunkEvaluator& evaluate) {
  send(0, kResult, "");
  for (;;) {
    Message m = receive(0, MPI_ANY_TAG, stop_);
    if (m.tag == kDone) return;
    if (m.tag != kChunk) throw Error("MPI rank " + std::to_string(rank_) + ": unexpected message during a campaign");
    auto start = std::chrono::steady_clock::now();
    const TrialChunk chunk = chunk_from_json(parse_json(m.text));
    double overhead = seconds_since(start);
    ChunkResult result = evaluate(chunk);
    start = std::chrono::steady_clock::now();
    std::string text = to_json(result).dump();
    overhead += seconds_since(start);  // the decoding and encoding this rank did for the chunk
    text.back() = ',';                 // the object gets one more member
    send(0, kResult, text + "\"overhead\":" + std::to_string(overhead) + "}");
  }
}

nlohmann::json MpiExecutor::stats() const {
  return {{"ranks", size_},
          {"chunks", chunks_},
          {"trials", trials_},
          {"rank0_handling_seconds", coordinator_seconds_},
          {"worker_codec_seconds", worker_seconds_},
          {"campaign_wall_seconds", wall_seconds_}};
}

void MpiExecutor::share(std::string& text) {
  if (size_ == 1) return;
  if (rank_ == 0) {
    for (int to = 1; to < size_; ++to) send(to, kShare, text);
  } else {
    text = receive(0, kShare, stop_).text;
  }
}

void MpiExecutor::sum(std::map<std::string, int64_t>& counters) {
  if (size_ == 1) return;
  if (rank_ != 0) return send(0, kSum, nlohmann::json(counters).dump());
  for (int from = 1; from < size_; ++from) {
    const nlohmann::json theirs = parse_json(receive(from, kSum, stop_).text);
    for (const auto& [key, n] : theirs.items()) counters[key] += n.get<int64_t>();
  }
}

}  // namespace faultscape
