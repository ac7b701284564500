#include "runtime/runtime.h"

#include "runtime/blas_kernels.h"

#include "common/error.h"

#include <dlfcn.h>
#include <malloc.h>
#include <torch/torch.h>

#include <cstdlib>
#include <thread>

namespace faultscape {

void tune_process() {
  static bool done = false;
  if (done) return;
  done = true;
  // 1 GiB: a batch of activations stays on the heap instead of mmap/munmap each step.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // OpenBLAS reads its environment when it is loaded, before main; ask it directly instead,
  // unless the user chose a count explicitly.
  if (!std::getenv("OPENBLAS_NUM_THREADS")) {
    using SetThreads = void (*)(int);
    if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(1);
  }
  select_blas_kernels();  // a CPU newer than OpenBLAS would run its slowest kernels
}

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int set_threads(int threads) {
  if (threads < 0 || threads > kMaxThreads)
    throw ConfigError("threads: expected 0 (all cores) .. " + std::to_string(kMaxThreads) + ", got " +
                      std::to_string(threads));
  int n = threads > 0 ? threads : hardware_threads();
  torch::set_num_threads(n);
  return torch::get_num_threads();
}

std::string torch_version() { return TORCH_VERSION; }

}  // namespace faultscape
