#include "common/file_checks.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace faultscape {
namespace {

namespace fs = std::filesystem;

std::string printable(const std::string& path) {
  std::string text;
  for (char c : path) text += c == '\0' ? std::string("\\0") : std::string(1, c);
  return text;
}

// The absolute, normalised path with links resolved as far as the path exists.
fs::path resolved(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::absolute(path).lexically_normal() : p;
}

}  // namespace

void check_input_file(const std::string& path, const std::string& what, uint64_t max_bytes) {
  if (path.find('\0') != std::string::npos) throw Error(printable(path) + ": " + what + " path holds a NUL character");
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw Error(path + ": " + what + " cannot be opened: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw Error(path + ": " + what + " is a directory, not a file");
  if (!S_ISREG(st.st_mode))
    throw Error(path + ": " + what + " is not a regular file (a pipe, socket or device cannot be read as one)");
  if (max_bytes > 0 && static_cast<uint64_t>(st.st_size) > max_bytes)
    throw Error(path + ": " + what + " is " + std::to_string(st.st_size) + " bytes, more than the limit of " +
                std::to_string(max_bytes));
}

void check_output_path(const std::string& output, const std::string& field, const std::vector<ProtectedFile>& files) {
  if (output.find('\0') != std::string::npos)
    throw ConfigError(field + ": " + printable(output) + " holds a NUL character");
  if (output.empty()) return;
  const fs::path out = resolved(output);
  for (const ProtectedFile& f : files) {
    if (f.path.empty()) continue;
    std::error_code ec;
    const bool same = fs::equivalent(output, f.path, ec) || out == resolved(f.path);
    if (same)
      throw ConfigError(field + ": " + output + " is " + f.what +
                        "; writing there would destroy it, choose another path");
  }
}

}  // namespace faultscape
