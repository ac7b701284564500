// MPI ranks as a campaign's executor (campaign/trial_executor.h). Every rank runs the same project
// (same model, same campaign plan); rank 0 alone records: it holds the project's lock and database,
// hands out chunks to the ranks that ask for one (dynamic load balancing: a faster rank simply asks
// more often), takes their results in, applies the stopping rule of adaptive sweeps and writes the
// summaries. Ranks 1..N-1 evaluate chunks and send back rows. With one rank everything runs in
// rank 0 as without MPI. Messages are JSON text (a chunk's trial indices; its rows), polled with
// short sleeps so that a waiting rank does not spin on a core a working rank needs.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "campaign/trial_executor.h"
#include "common/observer.h"

namespace faultscape {

// MPI_Init / MPI_Finalize for the lifetime of the object. launched() says whether this process was
// started by mpirun / srun (then MPI is initialised); a plain start never initialises MPI.
class MpiSession {
 public:
  static bool available();  // this build has MPI
  static bool launched();   // started by an MPI launcher (Open MPI, PMI / PMIx)
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_size() const { return local_size_; }  // ranks on this host
  // Ends every rank of the job with `code` (an error or a cancel on one rank ends the run).
  [[noreturn]] void abort(int code);

 private:
  int rank_ = 0, size_ = 1, local_size_ = 1;
};

class MpiExecutor : public TrialExecutor {
 public:
  MpiExecutor(const MpiSession& session, const StopToken* stop);
  int workers() const override;
  bool records() const override { return rank_ == 0; }
  void execute(TrialSchedule& schedule, const ChunkEvaluator& evaluate) override;
  void share(std::string& text) override;
  void sum(std::map<std::string, int64_t>& counters) override;
  std::string describe() const override;
  // What distributing cost so far (rank 0): chunks and trials handed out, rank 0's seconds spent
  // handling messages (parse, record, schedule, send), the workers' seconds spent encoding and
  // decoding, and the campaigns' wall seconds. docs/scaling.md builds its projection on these.
  nlohmann::json stats() const override;

 private:
  void coordinate(TrialSchedule& schedule);
  void work(const ChunkEvaluator& evaluate);

  int rank_, size_;
  const StopToken* stop_;
  int64_t chunks_ = 0, trials_ = 0;
  double coordinator_seconds_ = 0, worker_seconds_ = 0, wall_seconds_ = 0;
};

}  // namespace faultscape
