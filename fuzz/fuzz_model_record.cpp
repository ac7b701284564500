// Fuzz target: the model-record reader. The bytes are the architecture record a Faultscape model
// file stores beside its weights (JSON: format, model config, input shape, classes, pruned channel
// counts, learned-threshold gates); model_from_record validates it and builds the network it
// describes, as load_model does before loading the weights. An accepted record must give a
// network that runs: one forward pass on a zero image of the recorded shape.
#include <torch/torch.h>

#include "fuzz_support.h"
#include "models/model_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace faultscape;
  const std::string path = "record.pt";
  const std::string record(reinterpret_cast<const char*>(data), size);
  LoadedModel model;
  if (!fuzz::expect_clean(path, [&] { model = model_from_record(record, path); })) return 0;
  // An accepted record may still ask for up to StageBuilder::kMaxMacsPerImage per image: seconds of
  // compute, beyond the fuzzer's time limit. The forward check runs where weights x input positions
  // (a bound on the MACs: a conv's are its weights times its output positions) stay below 1e10.
  double weights = 0;
  for (const auto& p : model.net->parameters()) weights += static_cast<double>(p.numel());
  const auto& shape = model.net->input_shape();
  if (weights * (shape.size() == 3 ? double(shape[1]) * shape[2] : 1.0) > 1e10) return 0;
  fuzz::expect_clean("", [&] {
    torch::InferenceMode guard;
    model.net->eval();  // as load_model leaves it (batch norm with one image needs eval mode)
    std::vector<int64_t> shape = model.net->input_shape();
    shape.insert(shape.begin(), 1);
    const torch::Tensor out = model.net->forward(torch::zeros(shape));
    if (out.dim() != 2 || out.size(1) != model.net->num_classes())
      fuzz::finding("an accepted record builds a network whose output is not [1, num_classes]");
  });
  return 0;
}
