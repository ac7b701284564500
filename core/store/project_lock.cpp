#include "store/project_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <sstream>

#include "common/error.h"

namespace faultscape {
namespace {

// "pid host start_ticks started_at"; a default identity when empty or unreadable.
ProcessIdentity parse_owner(const std::string& text, std::string* since = nullptr) {
  ProcessIdentity p;
  std::istringstream in(text);
  std::string when;
  if (!(in >> p.pid >> p.host >> p.start_ticks)) return {};
  in >> when;
  if (since) *since = when;
  return p;
}

std::string read_fd(int fd) {
  std::string text;
  char chunk[256];
  if (lseek(fd, 0, SEEK_SET) != 0) return text;
  ssize_t n;
  while (text.size() < 4096 && (n = read(fd, chunk, sizeof chunk)) > 0) text.append(chunk, static_cast<size_t>(n));
  return text;
}

std::string now_text() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

std::string ProjectLock::lock_path(const std::string& database_path) { return database_path + ".lock"; }

ProjectLock::ProjectLock(const std::string& database_path) : path_(lock_path(database_path)) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) throw StoreError(path_ + ": cannot open the lock file: " + std::strerror(errno));
  struct stat st {};
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd_);
    throw StoreError(path_ + ": the lock file is not a regular file");
  }
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    std::string since;
    ProcessIdentity owner = parse_owner(read_fd(fd_), &since);
    close(fd_);
    if (error != EWOULDBLOCK) throw StoreError(path_ + ": cannot lock: " + std::strerror(error));
    throw StoreError(database_path + ": in use by another Faultscape process (" +
                     (owner.pid ? owner.describe() : std::string("owner unknown")) +
                     (since.empty() ? "" : ", since " + since) +
                     "); wait for it to finish or stop it, or use another output_dir");
  }
  // Locked. A record left in the file belongs to a process that ended without cleaning up.
  stale_ = parse_owner(read_fd(fd_));
  const ProcessIdentity self = this_process();
  const std::string record =
      std::to_string(self.pid) + " " + self.host + " " + std::to_string(self.start_ticks) + " " + now_text() + "\n";
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, record.data(), record.size(), 0) != static_cast<ssize_t>(record.size())) {
    const int error = errno;
    close(fd_);
    throw StoreError(path_ + ": cannot write the lock file: " + std::strerror(error));
  }
}

ProjectLock::~ProjectLock() {
  // Emptied before unlocking, so the file never names a process that no longer holds it.
  if (ftruncate(fd_, 0) != 0) {}
  flock(fd_, LOCK_UN);
  close(fd_);
}

}  // namespace faultscape
