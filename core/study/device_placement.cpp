#include "study/device_placement.h"

#include <torch/torch.h>

#include "runtime/device.h"

namespace faultscape {

c10::Device choose_device(const Project& project, Observer* observer) {
  const c10::Device device = resolve_device(project.device);
  use_device(device);
  set_deterministic(project.deterministic);
  if (observer && !device.is_cpu()) {
    const std::string name = device_name(device);
    observer->on_log("computing on " + device.str() + (name.empty() ? "" : " (" + name + ")") +
                     (project.deterministic ? ", deterministic algorithms" : ""));
  }
  return device;
}

void place_dataset(DatasetSplit& data, const c10::Device& device, Observer* observer) {
  if (device.is_cpu()) return;
  auto bytes = [](const Dataset& d) {
    return d.size() == 0 ? int64_t{0}
                         : d.images.numel() * d.images.element_size() + d.labels.numel() * d.labels.element_size();
  };
  const int64_t need = bytes(data.train) + bytes(data.test), free = free_device_memory(device);
  if (free >= 0 && need > free / 2) {
    if (observer)
      observer->on_log("dataset (" + std::to_string(need >> 20) + " MiB) kept in host memory: " + device.str() +
                       " has " + std::to_string(free >> 20) + " MiB free; batches move as they are used");
    return;
  }
  for (Dataset* d : {&data.train, &data.test})
    if (d->size() > 0) d->images = d->images.to(device), d->labels = d->labels.to(device);
}

}  // namespace faultscape
