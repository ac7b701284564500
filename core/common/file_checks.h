// Checks on the files a run reads and writes, made before anything is opened: a FIFO or device
// named as an input would block or never end, a huge file would exhaust memory, and an output
// path that names the results database or the project file would destroy it when the output is
// renamed into place.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace faultscape {

// Throws Error "<path>: <what> ..." unless `path` names an existing regular file (symbolic links
// followed) of at most `max_bytes` bytes (0 = no limit), and holds no NUL character.
void check_input_file(const std::string& path, const std::string& what, uint64_t max_bytes = 0);

// A file that an output must not replace, and what it is ("the results database").
struct ProtectedFile {
  std::string path;
  std::string what;
};
// Throws ConfigError "<field>: <path> is <what>; choose another path" when `output` names one of
// `files` (the same file through any relative path, link or `..`), or holds a NUL character.
void check_output_path(const std::string& output, const std::string& field, const std::vector<ProtectedFile>& files);

}  // namespace faultscape
