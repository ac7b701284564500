// What every fuzz target shares: a scratch directory of its own, the fuzzer's bytes written to a
// file there (the readers under test take paths, as the CLI gives them), and the oracle.
//
// The oracle: a reader either accepts its input or throws one of the engine's typed errors
// (faultscape::Error) with a message that names the file or field at fault. Anything else -- an
// exception from a library (nlohmann, LibTorch's c10::Error, the standard library), an empty or
// anonymous message -- is a finding: the target prints it and aborts, so libFuzzer records the
// input. Crashes, sanitizer reports, hangs (-timeout) and blow-ups (-rss_limit_mb) are findings
// by libFuzzer itself.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "common/error.h"

namespace faultscape::fuzz {

// A fresh directory under $TMPDIR (else /tmp), removed at exit; one per process, so parallel
// fuzzer jobs do not share files.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::filesystem::path d =
        std::filesystem::path(tmp && *tmp ? tmp : "/tmp") / ("faultscape-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return dir;
}

inline void write_file(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "\nFINDING: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// Runs `body`; an engine error must name `must_mention` (the file or the field prefix), anything
// else thrown is a finding. Returns whether `body` completed (false: it threw a clean error).
template <typename Body>
bool expect_clean(const std::string& must_mention, Body&& body) {
  try {
    body();
    return true;
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (msg.empty()) finding("an engine error with an empty message");
    if (!must_mention.empty() && msg.find(must_mention) == std::string::npos)
      finding("an engine error that does not name " + must_mention + ": " + msg);
    return false;
  } catch (const std::exception& e) {
    finding(std::string("a library exception escaped the reader: ") + e.what());
  } catch (...) {
    finding("a non-standard exception escaped the reader");
  }
}

}  // namespace faultscape::fuzz
