// Where a run computes: the project's device setting resolved on this machine, and the dataset
// moved there once when it fits.
#pragma once
#include <c10/core/Device.h>

#include "common/observer.h"
#include "data/dataset.h"
#include "project/project.h"

namespace faultscape {

// Resolves project.device (runtime/device.h), makes it the compute device, applies
// project.deterministic and says where the run computes. Throws ConfigError for a device this
// machine does not have.
c10::Device choose_device(const Project& project, Observer* observer);

// Moves both splits to `device` when they take at most half of its free memory; otherwise they stay
// in host memory and batches move as they are used (logged). Nothing to do on the CPU.
void place_dataset(DatasetSplit& data, const c10::Device& device, Observer* observer);

}  // namespace faultscape
