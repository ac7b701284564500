#include "runtime/device.h"

#include "runtime/blas_kernels.h"

#include <dlfcn.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <cstdlib>
#include <regex>

#include "common/error.h"
#include "runtime/runtime.h"

namespace faultscape {
namespace {

c10::Device& current() {
  static c10::Device device(c10::kCPU);
  return device;
}

bool deterministic_on = false;

// The CUDA driver API, opened at run time: the device's marketing name and free memory without
// CUDA headers, so the same code builds against a CPU-only LibTorch. Declared here as the driver
// documents them (CUresult = int, CUdevice = int, CUcontext = opaque pointer).
struct CudaDriver {
  using Init = int (*)(unsigned);
  using DeviceGet = int (*)(int*, int);
  using GetName = int (*)(char*, int, int);
  using Retain = int (*)(void**, int);
  using Release = int (*)(int);
  using PushPop = int (*)(void*);
  using Pop = int (*)(void**);
  using MemInfo = int (*)(size_t*, size_t*);
  Init init = nullptr;
  DeviceGet device_get = nullptr;
  GetName get_name = nullptr;
  Retain retain = nullptr;
  Release release = nullptr;
  PushPop push = nullptr;
  Pop pop = nullptr;
  MemInfo mem_info = nullptr;
  bool ok = false;

  CudaDriver() {
    void* lib = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!lib) return;
    init = reinterpret_cast<Init>(dlsym(lib, "cuInit"));
    device_get = reinterpret_cast<DeviceGet>(dlsym(lib, "cuDeviceGet"));
    get_name = reinterpret_cast<GetName>(dlsym(lib, "cuDeviceGetName"));
    retain = reinterpret_cast<Retain>(dlsym(lib, "cuDevicePrimaryCtxRetain"));
    release = reinterpret_cast<Release>(dlsym(lib, "cuDevicePrimaryCtxRelease_v2"));
    push = reinterpret_cast<PushPop>(dlsym(lib, "cuCtxPushCurrent_v2"));
    pop = reinterpret_cast<Pop>(dlsym(lib, "cuCtxPopCurrent_v2"));
    mem_info = reinterpret_cast<MemInfo>(dlsym(lib, "cuMemGetInfo_v2"));
    ok = init && device_get && get_name && init(0) == 0;
  }
  static const CudaDriver& get() {
    static const CudaDriver driver;
    return driver;
  }
};

int cuda_count() { return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0; }

}  // namespace

bool valid_device_setting(const std::string& s) {
  static const std::regex pattern("auto|cpu|cuda(:[0-9]{1,3})?");
  return std::regex_match(s, pattern);
}

c10::Device resolve_device(const std::string& s) {
  if (!valid_device_setting(s))
    throw ConfigError("device: expected \"auto\", \"cpu\", \"cuda\" or \"cuda:N\", got \"" + s + "\"");
  const int gpus = cuda_count();
  if (s == "cpu" || (s == "auto" && gpus == 0)) return c10::Device(c10::kCPU);
  if (s == "auto") return c10::Device(c10::kCUDA, 0);
  if (gpus == 0)
    throw ConfigError("device: \"" + s + "\" asked for, but LibTorch " + torch_version() +
                      " sees no CUDA GPU here (a CPU-only build, or no GPU / driver): use \"cpu\" or \"auto\"");
  const int index = s == "cuda" ? 0 : std::stoi(s.substr(5));
  if (index >= gpus)
    throw ConfigError("device: \"" + s + "\" asked for, but this machine has " + std::to_string(gpus) +
                      " GPU(s) (cuda:0.." + "cuda:" + std::to_string(gpus - 1) + ")");
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

void use_device(const c10::Device& device) { current() = device; }
c10::Device compute_device() { return current(); }

std::vector<std::string> device_choices() {
  std::vector<std::string> out = {"auto", "cpu"};
  if (cuda_count() > 0) out.push_back("cuda");
  for (int i = 0; i < cuda_count(); ++i) out.push_back("cuda:" + std::to_string(i));
  return out;
}

std::string device_name(const c10::Device& device) {
  const CudaDriver& d = CudaDriver::get();
  if (!device.is_cuda() || !d.ok) return "";
  int handle = 0;
  char name[256] = {};
  if (d.device_get(&handle, device.index() < 0 ? 0 : device.index()) != 0 || d.get_name(name, 255, handle) != 0)
    return "";
  return name;
}

DeviceMemory device_memory(const c10::Device& device) {
  const CudaDriver& d = CudaDriver::get();
  if (!device.is_cuda() || !d.ok || !d.retain || !d.release || !d.push || !d.pop || !d.mem_info) return {};
  int handle = 0;
  if (d.device_get(&handle, device.index() < 0 ? 0 : device.index()) != 0) return {};
  void* ctx = nullptr;
  if (d.retain(&ctx, handle) != 0) return {};
  size_t free = 0, total = 0;
  int rc = d.push(ctx);
  if (rc == 0) {
    rc = d.mem_info(&free, &total);
    void* popped = nullptr;
    d.pop(&popped);
  }
  d.release(handle);
  if (rc != 0) return {};
  return {static_cast<int64_t>(free), static_cast<int64_t>(total)};
}

void synchronize(const c10::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

nlohmann::json device_record(const c10::Device& device) {
  nlohmann::json r = {{"device", device.str()}, {"libtorch", torch_version()}, {"deterministic", deterministic_on}};
  const std::string name = device_name(device);
  if (!name.empty()) r["gpu"] = name;
  if (device.is_cpu() && !blas_kernels().empty()) r["blas"] = blas_kernels();
  return r;
}

void set_deterministic(bool on) {
  deterministic_on = on;
  if (on) setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  at::globalContext().setDeterministicAlgorithms(on, /*warn_only=*/false);
  at::globalContext().setDeterministicCuDNN(on);
  at::globalContext().setBenchmarkCuDNN(false);
}

bool deterministic() { return deterministic_on; }

}  // namespace faultscape

namespace faultscape {

c10::Device module_device(const torch::nn::Module& module) {
  for (const auto& p : module.parameters()) return p.device();
  for (const auto& b : module.buffers()) return b.device();
  return compute_device();
}

}  // namespace faultscape
