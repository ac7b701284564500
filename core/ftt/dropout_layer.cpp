#include "ftt/dropout_layer.h"

#include <torch/torch.h>

#include "common/error.h"

namespace faultscape {

StageDropoutImpl::StageDropoutImpl(std::string kind, double p) : kind_(std::move(kind)), p_(p) {
  if (kind_ != "dropout" && kind_ != "dropout2d")
    throw ConfigError("training.dropout.kind: expected \"dropout\" or \"dropout2d\", got \"" + kind_ + "\"");
  if (!(p >= 0 && p < 1)) throw ConfigError("training.dropout.p: expected a probability in [0, 1)");
}

torch::Tensor StageDropoutImpl::forward(const torch::Tensor& x) {
  if (!is_training() || p_ <= 0) return x;
  if (kind_ == "dropout2d" && x.dim() == 4) return torch::feature_dropout(x, p_, true);
  return torch::dropout(x, p_, true);
}

void StageDropoutImpl::pretty_print(std::ostream& stream) const {
  stream << (kind_ == "dropout2d" ? "StageDropout2d" : "StageDropout") << "(p=" << p_ << ")";
}

}  // namespace faultscape
