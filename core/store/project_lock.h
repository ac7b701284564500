// One writing process per results database. The lock is `<database>.lock` held with flock(2): the
// kernel releases it when its process ends however it ends (kill -9 included), so a crashed owner
// never leaves a lock that blocks the next run. The file's text names the owner (pid, host, start
// time) for the refusal message and for telling a stale record from a live one. flock is chosen
// over a row in the database because a row outlives a killed process and would need a timeout;
// the limit is a shared filesystem where flock is not honoured across hosts (NFS without lock
// support): there two hosts are not kept apart.
#pragma once
#include <string>

#include "common/process_info.h"

namespace faultscape {

class ProjectLock {
 public:
  // Takes the lock of `database_path` or throws StoreError naming the process that holds it.
  explicit ProjectLock(const std::string& database_path);
  ~ProjectLock();
  ProjectLock(const ProjectLock&) = delete;
  ProjectLock& operator=(const ProjectLock&) = delete;

  // The owner named in the file when it was taken over from a process that had died without
  // releasing it (pid 0 when the lock was free and clean).
  const ProcessIdentity& stale_owner() const { return stale_; }
  static std::string lock_path(const std::string& database_path);

 private:
  std::string path_;
  int fd_ = -1;
  ProcessIdentity stale_;
};

}  // namespace faultscape
