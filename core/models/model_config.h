// What the project file's "model" object holds: enough to rebuild the architecture.
#pragma once
#include <string>

namespace faultscape {

struct ModelConfig {
  std::string name = "lenet5";  // mlp | lenet5 | cnv | vgg11 | vgg16 | alexnet | resnet20 | resnet18 | torchscript
  int weight_bits = 0;          // 0 = float; 1 (binary, sign) .. 8
  int act_bits = 0;             // 0 = float (ReLU); 1 (sign) .. 8 (quantized hardtanh)
  double width = 1.0;           // channel multiplier (cnv, vgg, resnet, mlp hidden sizes)
  double act_clip = 1.0;        // initial clipping bound of the activation quantizers
  bool learnable_clip = false;  // PACT-style trainable clipping bound
  std::string file;             // TorchScript file when name == "torchscript"
};

}  // namespace faultscape
