#include "runtime/blas_kernels.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace faultscape {
namespace {

template <class F>
F openblas_symbol(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

// The kernels this CPU runs, newest first; nullptr when it has neither AVX-512 nor AVX2 + FMA.
const char* best_kernels() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return nullptr;
}

// Switching re-runs OpenBLAS's own start-up selection, which exits the process on a core name it
// does not know: only a DYNAMIC_ARCH build from 0.3.10 on (it knows both names) is switched.
bool switchable(const char* config) {
  int major = 0, minor = 0, patch = 0;
  if (!config || std::sscanf(config, "OpenBLAS %d.%d.%d", &major, &minor, &patch) != 3) return false;
  const bool recent = major > 0 || minor > 3 || (minor == 3 && patch >= 10);
  return recent && std::string(config).find("DYNAMIC_ARCH") != std::string::npos;
}

}  // namespace

std::string blas_kernels() {
  auto corename = openblas_symbol<char* (*)()>("openblas_get_corename");
  return corename ? std::string(corename()) : std::string();
}

std::string select_blas_kernels() {
  const std::string current = blas_kernels();
  const char* best = best_kernels();
  auto config = openblas_symbol<char* (*)()>("openblas_get_config");
  auto quit = openblas_symbol<void (*)()>("gotoblas_dynamic_quit");
  auto init = openblas_symbol<void (*)()>("gotoblas_dynamic_init");
  if (current != "Prescott" || !best || std::getenv("OPENBLAS_CORETYPE") || !config || !quit || !init ||
      !switchable(config()))
    return current;
  setenv("OPENBLAS_CORETYPE", best, /*overwrite=*/0);  // read by init; child processes inherit it
  quit();
  init();
  return blas_kernels();
}

}  // namespace faultscape
