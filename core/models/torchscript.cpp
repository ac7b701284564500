// Imports a TorchScript file (torch.jit.save) as a Network. When the top level is a sequence of
// child modules (nn.Sequential, or a module whose children run in order, nested containers
// included), every leaf becomes a stage, so activation faults, golden caching and the fast paths
// work between them, and ordinary layers are adopted as Faultscape's own (models/script_layers.h);
// otherwise the whole module is one stage, which weight faults still reach. "Run in order" is
// checked, not assumed: the chained leaves must reproduce the module's own output on a probe.
#include <torch/script.h>
#include <torch/torch.h>

#include "common/error.h"
#include "models/script_layers.h"
#include "models/script_stage.h"
#include "models/zoo.h"

namespace faultscape {
namespace {

torch::jit::Module load_script(const std::string& path) {
  if (path.empty()) throw ModelError("model.file: a \"torchscript\" model needs the path of a TorchScript file");
  try {
    return torch::jit::load(path, torch::kCPU);  // imported on the host; a run moves it to its device
  } catch (const c10::Error& e) {
    throw ModelError(path + ": not a loadable TorchScript file (torch.jit.save): " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw ModelError(path + ": not a loadable TorchScript file (torch.jit.save): " + e.what());
  }
}

// A leaf of the module tree and the input it receives from the probe; no module = an implicit
// flatten (torch.flatten(x, 1) in the parent's forward, as between VGG's features and classifier).
struct Leaf {
  std::string name;
  std::optional<torch::jit::Module> module;
  torch::Tensor input;
};

bool close(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && torch::allclose(a, b, 1e-5, 1e-6);
}

// Appends the leaves of `m` when its forward is its children run in order (recursively, so nested
// nn.Sequential containers open up); checked, not assumed: the chained leaves must reproduce m's
// own output on the probe `x`. Returns false (and appends nothing) otherwise.
bool expand(torch::jit::Module m, const torch::Tensor& x, const std::string& prefix, std::vector<Leaf>& out) {
  auto children = m.named_children();
  if (children.size() == 0) return false;
  std::vector<Leaf> leaves;
  torch::Tensor y = x;
  try {
    for (const auto& child : children) {
      torch::jit::Module c = child.value;
      const std::string name = prefix + child.name;
      torch::Tensor next;
      try {
        next = c.forward({y}).toTensor();
      } catch (const std::exception&) {
        if (y.dim() <= 2) throw;
        leaves.push_back({name + "_flatten", std::nullopt, y});
        y = y.flatten(1);
        next = c.forward({y}).toTensor();
      }
      if (!expand(c, y, name + "_", leaves)) leaves.push_back({name, c, y});
      y = next;
    }
    if (!close(y, m.forward({x}).toTensor())) return false;
  } catch (const std::exception&) {
    return false;  // a child that cannot take the previous child's output
  }
  out.insert(out.end(), leaves.begin(), leaves.end());
  return true;
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string t;
  for (size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return "[" + t + "]";
}

}  // namespace

void build_torchscript(NetworkImpl& net) {
  const std::string& path = net.config().file;
  torch::jit::Module top = load_script(path);
  std::vector<int64_t> shape{2};
  shape.insert(shape.end(), net.input_shape().begin(), net.input_shape().end());
  torch::NoGradGuard no_grad;
  top.eval();
  const torch::Tensor probe = torch::rand(shape);
  torch::Tensor logits;
  try {
    logits = top.forward({probe}).toTensor();
  } catch (const std::exception& e) {
    shape[0] = -1;
    throw ModelError(path + ": the TorchScript module does not accept a batch of the dataset's images " +
                     "(expected input " + shape_text(shape) + ")");
  }
  if (logits.dim() != 2 || logits.size(1) != net.num_classes())
    throw ModelError(path + ": the TorchScript module outputs " + shape_text(logits.sizes().vec()) +
                     " for 2 images; the dataset has " + std::to_string(net.num_classes()) + " classes, so [2, " +
                     std::to_string(net.num_classes()) + "] was expected");
  std::vector<Leaf> leaves;
  if (expand(top, probe, "", leaves)) {
    for (const Leaf& leaf : leaves) {
      if (!leaf.module) {
        net.add_stage(leaf.name, "flatten", torch::nn::Sequential(torch::nn::Flatten()));
        continue;
      }
      AdoptedLayer layer = adopt_script_layer(*leaf.module, leaf.input);
      net.add_stage(leaf.name, layer.kind, layer.module);
    }
  } else {
    net.add_stage("model", "script", torch::nn::Sequential(ScriptStage(top)));
  }
  net.train();
}

}  // namespace faultscape
