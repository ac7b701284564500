// Dropout at the FAT injection positions, for the paper's comparison (section IV-B, eqs. 6-7):
// "dropout" zeroes elements, "dropout2d" whole feature maps of a [b, c, h, w] tensor (on a
// [b, features] tensor a feature is its own channel, so both are element-wise there). Kept values
// are scaled by 1 / (1 - p). Active only in training mode.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>

namespace faultscape {

class StageDropoutImpl : public torch::nn::Module {
 public:
  StageDropoutImpl(std::string kind, double p);
  torch::Tensor forward(const torch::Tensor& x);
  const std::string& kind() const { return kind_; }
  double p() const { return p_; }
  void pretty_print(std::ostream& stream) const override;

 private:
  std::string kind_;  // dropout | dropout2d
  double p_;
};
TORCH_MODULE(StageDropout);

}  // namespace faultscape
