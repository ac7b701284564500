// Process-wide runtime settings: thread counts and allocator tuning.
#pragma once
#include <string>

namespace faultscape {

// Must run before the first tensor is allocated: raises glibc's mmap / trim thresholds so large
// tensors are not mmapped and unmapped every batch, and pins OpenBLAS to one thread so it does
// not compete with LibTorch's intra-op pool, and gives OpenBLAS the vector kernels of a CPU it does
// not recognise (runtime/blas_kernels.h). Safe to call more than once.
void tune_process();

// The most intra-op threads a project or option may ask for: far above any machine this runs on,
// far below what makes the OpenMP runtime give up (2^31 threads exit(1) inside libgomp).
constexpr int kMaxThreads = 1024;

// Sets LibTorch's intra-op thread count; 0 means all cores. Returns the count in effect. Throws
// ConfigError for a count outside 0..kMaxThreads.
int set_threads(int threads);
int hardware_threads();

std::string code_version();   // project version + git description
std::string torch_version();  // LibTorch version string

}  // namespace faultscape
