// OpenBLAS picks its kernels by CPU model at load time. A model newer than the library (Debian 12's
// OpenBLAS 0.3.21 does not know Sapphire / Emerald Rapids) falls back to "Prescott": SSE3 kernels
// that run matrix products 3-5x slower than the AVX2 / AVX-512 kernels the CPU supports. LibTorch
// sends its CPU matrix products (linear layers, batched products, unfold-based convolutions) there.
#pragma once
#include <string>

namespace faultscape {

// The kernel set of the OpenBLAS LibTorch uses ("SkylakeX", "Haswell", ...); "" without OpenBLAS.
std::string blas_kernels();

// When OpenBLAS fell back to Prescott on a CPU with AVX-512 (SkylakeX kernels) or AVX2 + FMA
// (Haswell), and the user did not choose with OPENBLAS_CORETYPE, switches it to those kernels. Must
// run before the first matrix product (tune_process() calls it). Returns blas_kernels() after.
std::string select_blas_kernels();

}  // namespace faultscape
