// Imports a TorchScript file (torch.jit.save) as a Network. When the top level is a sequence of
// child modules (nn.Sequential, or a module whose children run in order), every child becomes a
// stage, so activation faults and golden caching work between them; otherwise the whole module
// is one stage, which weight faults still reach. "Run in order" is checked, not assumed: the
// chained children must reproduce the module's own output on a probe input.
#include <torch/script.h>
#include <torch/torch.h>

#include "common/error.h"
#include "models/script_stage.h"
#include "models/zoo.h"

namespace faultscape {
namespace {

torch::jit::Module load_script(const std::string& path) {
  if (path.empty()) throw ModelError("model.file: a \"torchscript\" model needs the path of a TorchScript file");
  try {
    return torch::jit::load(path);
  } catch (const c10::Error& e) {
    throw ModelError(path + ": not a loadable TorchScript file (torch.jit.save): " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw ModelError(path + ": not a loadable TorchScript file (torch.jit.save): " + e.what());
  }
}

// "conv" / "linear" when the child holds a 4-D / 2-D weight (so default fault selections find it).
std::string stage_kind(const torch::jit::Module& child) {
  for (const auto& p : child.named_parameters(/*recurse=*/false))
    if (p.name == "weight") return p.value.dim() == 4 ? "conv" : p.value.dim() == 2 ? "linear" : "script";
  return "script";
}

bool children_run_in_order(torch::jit::Module& top, const std::vector<int64_t>& input_shape) {
  std::vector<int64_t> shape{2};
  shape.insert(shape.end(), input_shape.begin(), input_shape.end());
  torch::NoGradGuard no_grad;
  top.eval();
  torch::Tensor x = torch::rand(shape);
  try {
    torch::Tensor whole = top.forward({x}).toTensor();
    torch::Tensor chained = x;
    for (const auto& child : top.named_children()) {
      torch::jit::Module c = child.value;
      chained = c.forward({chained}).toTensor();
    }
    return whole.sizes() == chained.sizes() && torch::allclose(whole, chained, 1e-5, 1e-6);
  } catch (const std::exception&) {
    return false;  // a child that cannot take the previous child's output
  }
}

}  // namespace

void build_torchscript(NetworkImpl& net) {
  const std::string& path = net.config().file;
  torch::jit::Module top = load_script(path);
  std::vector<int64_t> shape{1};
  shape.insert(shape.end(), net.input_shape().begin(), net.input_shape().end());
  try {
    torch::NoGradGuard no_grad;
    top.eval();
    top.forward({torch::zeros(shape)});
  } catch (const std::exception& e) {
    throw ModelError(path + ": the TorchScript module does not accept a batch of the dataset's images " +
                     "(expected input [N, " + std::to_string(net.input_shape()[0]) + ", " +
                     std::to_string(net.input_shape()[1]) + ", " + std::to_string(net.input_shape()[2]) + "])");
  }
  if (top.named_children().size() > 1 && children_run_in_order(top, net.input_shape())) {
    for (const auto& child : top.named_children())
      net.add_stage(child.name, stage_kind(child.value), torch::nn::Sequential(ScriptStage(child.value)));
  } else {
    net.add_stage("model", "script", torch::nn::Sequential(ScriptStage(top)));
  }
  net.train();
}

}  // namespace faultscape
