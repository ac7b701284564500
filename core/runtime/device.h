// Where the engine computes: the project's `device` setting ("auto", "cpu", "cuda", "cuda:N"),
// resolved once per run into the process-wide compute device that models and datasets move to.
#pragma once
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace faultscape {

// True for "auto", "cpu", "cuda" and "cuda:N" (N a device index); says nothing about this machine.
bool valid_device_setting(const std::string& setting);

// The device a setting names on this machine: "auto" is the first CUDA device when LibTorch has
// CUDA and sees a GPU, else the CPU. Throws ConfigError ("device: ...") for an invalid setting, for
// "cuda" without a usable GPU and for an index beyond the GPUs present.
c10::Device resolve_device(const std::string& setting);

// The process-wide compute device (the CPU until a run chooses another).
void use_device(const c10::Device& device);
c10::Device compute_device();

// The settings this machine can run: "auto", "cpu", then "cuda" and "cuda:0".. when LibTorch sees GPUs.
std::vector<std::string> device_choices();
// "NVIDIA H100 80GB HBM3" for a CUDA device (from the CUDA driver); "" for the CPU or when unknown.
std::string device_name(const c10::Device& device);
// Free and total memory of a CUDA device in bytes (the driver's view, LibTorch's cache counted as
// used); -1 for the CPU or when unknown.
struct DeviceMemory {
  int64_t free = -1, total = -1;
};
DeviceMemory device_memory(const c10::Device& device);
inline int64_t free_device_memory(const c10::Device& device) { return device_memory(device).free; }

// Waits until the device has run every queued kernel (a no-op on the CPU): for honest timings.
void synchronize(const c10::Device& device);

// What a result records about where it was computed: device, GPU name, LibTorch version,
// deterministic algorithms on or off.
nlohmann::json device_record(const c10::Device& device);

// Asks LibTorch for deterministic algorithms (and cuDNN's deterministic, non-benchmarking
// kernels); an operation without a deterministic implementation then throws. On CUDA, cuBLAS also
// needs CUBLAS_WORKSPACE_CONFIG, set here when unset (it must be set before CUDA starts).
void set_deterministic(bool on);
bool deterministic();

}  // namespace faultscape

namespace torch::nn {
class Module;
}

namespace faultscape {

// The device of a module's first parameter or buffer; the compute device when it has none.
c10::Device module_device(const torch::nn::Module& module);

}  // namespace faultscape
