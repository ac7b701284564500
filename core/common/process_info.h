// Who is running: process id, host name and the process's start time, so that a record left by a
// process (a lock, a run marked "running") can later be told live or dead. The start time guards
// against a recycled pid: a pid that is alive but started at another time is another process.
#pragma once
#include <cstdint>
#include <string>

namespace faultscape {

struct ProcessIdentity {
  int64_t pid = 0;
  std::string host;
  int64_t start_ticks = 0;       // /proc/<pid>/stat start time (clock ticks since boot); 0 = unknown
  std::string describe() const;  // "pid 1234 on host example"
};

ProcessIdentity this_process();
std::string host_name();

enum class Liveness { alive, dead, unknown };
// alive / dead for a process of this host; unknown for another host (it cannot be checked).
Liveness liveness(const ProcessIdentity& p);

}  // namespace faultscape
