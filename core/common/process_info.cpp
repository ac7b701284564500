#include "common/process_info.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace faultscape {
namespace {

// Field 22 of /proc/<pid>/stat; 0 when it cannot be read. The command name (field 2) may hold
// spaces and parentheses, so fields are counted after its closing parenthesis.
int64_t start_ticks(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) return std::strtoll(field.c_str(), nullptr, 10);
  return 0;
}

}  // namespace

std::string ProcessIdentity::describe() const { return "pid " + std::to_string(pid) + " on host " + host; }

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

ProcessIdentity this_process() {
  static const ProcessIdentity self = [] {
    ProcessIdentity p;
    p.pid = static_cast<int64_t>(getpid());
    p.host = host_name();
    p.start_ticks = start_ticks(p.pid);
    return p;
  }();
  return self;
}

Liveness liveness(const ProcessIdentity& p) {
  if (p.host != host_name()) return Liveness::unknown;
  if (p.pid <= 0) return Liveness::dead;
  const ProcessIdentity self = this_process();
  int64_t now = 0;
  if (p.pid == self.pid) {
    now = self.start_ticks;
  } else {
    if (kill(static_cast<pid_t>(p.pid), 0) != 0 && errno == ESRCH) return Liveness::dead;
    now = start_ticks(p.pid);
  }
  // The pid exists; it is the same process only if it started when the record says.
  return p.start_ticks != 0 && now != 0 && now != p.start_ticks ? Liveness::dead : Liveness::alive;
}

}  // namespace faultscape
