// Where faults can go: the weight tensors and activation sites (stage outputs) a fault model
// selects, each with the number format and scale the hardware stores it in.
#pragma once
#include <torch/types.h>

#include <string>
#include <vector>

#include "faults/fault_model.h"
#include "faults/number_format.h"
#include "models/network.h"

namespace faultscape {

struct WeightSite {
  int stage = 0;         // index of the stage holding the tensor
  std::string name;      // "conv0.0.conv.weight"
  torch::Tensor tensor;  // the stored tensor itself (contiguous float32), faulted in place
  NumberFormat format;
  double scale = 1.0;  // intN: the quantization step
};

struct ActivationSite {
  int stage = 0;  // faults apply to this stage's output
  std::string name;
  NumberFormat format;
  double scale = 1.0;
  std::vector<double> levels;  // values the activation quantizer can output; empty for float
};

// Stages a fault model selects: its "layers", or by default every conv / linear stage
// (for activations without the final logits stage). Throws ConfigError for an unknown name.
std::vector<int> selected_stages(const Network& net, const FaultModel& fault, bool include_last);

std::vector<WeightSite> weight_sites(Network& net, const FaultModel& fault);
std::vector<ActivationSite> activation_sites(Network& net, const FaultModel& fault);

}  // namespace faultscape
