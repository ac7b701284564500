#include "models/script_layers.h"

#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/torch.h>

#include "models/max_pool.h"
#include "models/script_stage.h"
#include "quant/quant_layers.h"

namespace faultscape {
namespace {

using torch::jit::Node;
using torch::jit::Value;

// The first node of kind `kind` anywhere in a block, control flow included (scripted layers wrap
// their operation in checks of constant flags).
Node* find_op(torch::jit::Block* block, const c10::Symbol& kind) {
  for (Node* n : block->nodes()) {
    if (n->kind() == kind) return n;
    for (torch::jit::Block* sub : n->blocks())
      if (Node* found = find_op(sub, kind)) return found;
  }
  return nullptr;
}

// An operation of a module's inlined forward graph; the graph is kept alive with the node.
struct Op {
  std::shared_ptr<torch::jit::Graph> graph;
  Node* node = nullptr;
  explicit operator bool() const { return node != nullptr; }
  Value* input(size_t i) const { return node->input(i); }
};

Op find_op(const torch::jit::Module& m, const char* qualified_kind) {
  Op op;
  op.graph = m.get_method("forward").graph()->copy();
  torch::jit::Inline(*op.graph);
  op.node = find_op(op.graph->block(), c10::Symbol::fromQualString(qualified_kind));
  return op;
}

// A constant int list argument ([1, 1], or one int for both dimensions); nullopt when not constant.
std::optional<std::vector<int64_t>> int_list(Value* v) {
  if (v->node()->kind() == c10::prim::ListConstruct) {
    std::vector<int64_t> out;
    for (Value* item : v->node()->inputs()) {
      auto iv = torch::jit::toIValue(item);
      if (!iv || !iv->isInt()) return std::nullopt;
      out.push_back(iv->toInt());
    }
    return out;
  }
  auto iv = torch::jit::toIValue(v);
  if (iv && iv->isIntList()) return iv->toIntVector();
  if (iv && iv->isInt()) return std::vector<int64_t>{iv->toInt(), iv->toInt()};
  return std::nullopt;
}

// An int or a tuple / list of ints as a list (one int stands for both dimensions).
std::optional<std::vector<int64_t>> ivalue_ints(const c10::IValue& iv) {
  if (iv.isInt()) return std::vector<int64_t>{iv.toInt(), iv.toInt()};
  if (iv.isIntList()) return iv.toIntVector();
  if (iv.isTuple()) {
    std::vector<int64_t> out;
    for (const auto& e : iv.toTupleRef().elements()) {
      if (!e.isInt()) return std::nullopt;
      out.push_back(e.toInt());
    }
    return out;
  }
  return std::nullopt;
}

std::optional<int64_t> int_of(Value* v) {
  auto iv = torch::jit::toIValue(v);
  if (iv && iv->isInt()) return iv->toInt();
  return std::nullopt;
}

// The child's own tensors by name (not those of its children).
std::map<std::string, torch::Tensor> own_tensors(const torch::jit::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters(/*recurse=*/false)) out[p.name] = p.value;
  for (const auto& b : m.named_buffers(/*recurse=*/false)) out[b.name] = b.value;
  return out;
}

bool only_keys(const std::map<std::string, torch::Tensor>& t, std::initializer_list<const char*> allowed) {
  for (const auto& entry : t) {
    // Not a structured binding: C++17 lambdas cannot capture those (clang refuses; the fuzz build).
    const std::string& name = entry.first;
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return name == a; }) == allowed.end())
      return false;
  }
  return true;
}

std::optional<AdoptedLayer> adopt_conv(const torch::jit::Module& child, const std::map<std::string, torch::Tensor>& t) {
  auto w = t.find("weight");
  if (w == t.end() || w->second.dim() != 4 || !only_keys(t, {"weight", "bias"})) return std::nullopt;
  // aten::conv2d(input, weight, bias, stride, padding, dilation, groups)
  // aten::_convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups, ...)
  Op n = find_op(child, "aten::conv2d");
  const bool traced = !n;
  if (!n) n = find_op(child, "aten::_convolution");
  if (!n) return std::nullopt;
  auto stride = int_list(n.input(3)), padding = int_list(n.input(4)), dilation = int_list(n.input(5));
  auto groups = int_of(n.input(traced ? 8 : 6));
  if (traced) {
    auto transposed = torch::jit::toIValue(n.input(6));
    if (!transposed || !transposed->isBool() || transposed->toBool()) return std::nullopt;
  }
  if (!stride || !padding || !dilation || !groups || stride->size() != 2 || padding->size() != 2) return std::nullopt;
  const torch::Tensor& weight = w->second;
  const bool bias = t.count("bias") && t.at("bias").defined();
  auto options = torch::nn::Conv2dOptions(weight.size(1) * *groups, weight.size(0), {weight.size(2), weight.size(3)})
                     .stride({(*stride)[0], (*stride)[1]})
                     .padding(torch::ExpandingArray<2>({(*padding)[0], (*padding)[1]}))
                     .dilation({(*dilation)[0], (*dilation)[1]})
                     .groups(*groups)
                     .bias(bias);
  QuantConv2d conv(options, WeightQuant{});
  torch::NoGradGuard no_grad;
  conv->conv->weight.copy_(weight);
  if (bias) conv->conv->bias.copy_(t.at("bias"));
  return AdoptedLayer{"conv", torch::nn::Sequential(conv)};
}

std::optional<AdoptedLayer> adopt_linear(const torch::jit::Module& child,
                                         const std::map<std::string, torch::Tensor>& t) {
  auto w = t.find("weight");
  if (w == t.end() || w->second.dim() != 2 || !only_keys(t, {"weight", "bias"})) return std::nullopt;
  if (!find_op(child, "aten::linear")) return std::nullopt;
  const bool bias = t.count("bias") && t.at("bias").defined();
  QuantLinear linear(w->second.size(1), w->second.size(0), bias, WeightQuant{});
  torch::NoGradGuard no_grad;
  linear->linear->weight.copy_(w->second);
  if (bias) linear->linear->bias.copy_(t.at("bias"));
  return AdoptedLayer{"linear", torch::nn::Sequential(linear)};
}

std::optional<AdoptedLayer> adopt_batch_norm(const torch::jit::Module& child,
                                             const std::map<std::string, torch::Tensor>& t) {
  if (!t.count("running_mean") || !t.count("running_var") || t.at("running_mean").dim() != 1) return std::nullopt;
  if (!only_keys(t, {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})) return std::nullopt;
  // aten::batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled)
  Op n = find_op(child, "aten::batch_norm");
  if (!n) return std::nullopt;
  auto eps = torch::jit::toIValue(n.input(7));
  if (!eps || !eps->isDouble()) return std::nullopt;
  const bool affine = t.count("weight") && t.at("weight").defined();
  torch::nn::BatchNorm2d bn(
      torch::nn::BatchNorm2dOptions(t.at("running_mean").size(0)).eps(eps->toDouble()).affine(affine));
  torch::NoGradGuard no_grad;
  bn->running_mean.copy_(t.at("running_mean"));
  bn->running_var.copy_(t.at("running_var"));
  if (affine) {
    bn->weight.copy_(t.at("weight"));
    bn->bias.copy_(t.at("bias"));
  }
  return AdoptedLayer{"norm", torch::nn::Sequential(bn)};
}

// ReLU, max pooling and flattening as native modules (no TorchScript interpreter per call, and the
// fast max pool of models/max_pool.h).
std::optional<AdoptedLayer> adopt_parameter_free(const torch::jit::Module& child) {
  if (find_op(child, "aten::relu") || find_op(child, "aten::relu_"))
    return AdoptedLayer{"activation", torch::nn::Sequential(torch::nn::ReLU())};
  if (find_op(child, "aten::flatten")) return AdoptedLayer{"flatten", torch::nn::Sequential(torch::nn::Flatten())};
  // aten::max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)
  Op n = find_op(child, "aten::max_pool2d");
  if (!n) return std::nullopt;
  // Traced graphs hold the arguments as constants; scripted modules pass them through control flow,
  // but keep them as attributes (nn.MaxPool2d's kernel_size, stride, ...).
  auto arg = [&](size_t i, const char* attribute) {
    auto v = int_list(n.input(i));
    if (!v && child.hasattr(attribute)) v = ivalue_ints(child.attr(attribute));
    return v;
  };
  auto kernel = arg(1, "kernel_size"), stride = arg(2, "stride"), padding = arg(3, "padding");
  auto dilation = arg(4, "dilation");
  auto ceil = torch::jit::toIValue(n.input(5));
  if ((!ceil || !ceil->isBool()) && child.hasattr("ceil_mode")) ceil = child.attr("ceil_mode");
  if (!kernel || !stride || !padding || !dilation || !ceil || !ceil->isBool() || kernel->size() != 2)
    return std::nullopt;
  if (stride->empty()) stride = kernel;  // F.max_pool2d's default
  auto options = torch::nn::MaxPool2dOptions({(*kernel)[0], (*kernel)[1]})
                     .stride({(*stride)[0], (*stride)[1]})
                     .padding({(*padding)[0], (*padding)[1]})
                     .dilation({(*dilation)[0], (*dilation)[1]})
                     .ceil_mode(ceil->toBool());
  return AdoptedLayer{"pool", torch::nn::Sequential(MaxPool(options))};
}

// What a parameter-free child does to one channel, checked on the probe: the child applied to
// channel c alone must give exactly channel c of its output on all channels.
std::string channel_behaviour(torch::jit::Module child, const torch::Tensor& probe, const torch::Tensor& out) {
  if (probe.dim() < 2 || out.dim() < 2 || probe.size(1) < 2) return "script";
  const int64_t n = probe.size(0), channels = probe.size(1);
  for (int64_t c : {int64_t{0}, channels - 1}) {
    torch::Tensor one;
    try {
      one = child.forward({probe.narrow(1, c, 1).contiguous()}).toTensor();
    } catch (const std::exception&) {
      return "script";
    }
    if (one.numel() * channels != out.numel()) return "script";
    torch::Tensor expect = out.reshape({n, channels, -1}).select(1, c);
    if (!torch::equal(one.reshape({n, -1}), expect)) return "script";
  }
  if (out.dim() == 2 && probe.dim() > 2) return "flatten";
  return out.sizes() == probe.sizes() ? "activation" : "pool";
}

}  // namespace

AdoptedLayer adopt_script_layer(const torch::jit::Module& module, const torch::Tensor& probe) {
  torch::jit::Module child = module;
  torch::NoGradGuard no_grad;
  child.eval();
  torch::Tensor expect = child.forward({probe}).toTensor();
  const auto tensors = own_tensors(child);
  std::optional<AdoptedLayer> adopted;
  if (child.named_children().size() == 0) {
    try {
      adopted = adopt_conv(child, tensors);
      if (!adopted) adopted = adopt_linear(child, tensors);
      if (!adopted) adopted = adopt_batch_norm(child, tensors);
      if (!adopted && tensors.empty()) adopted = adopt_parameter_free(child);
    } catch (const std::exception&) {
      adopted.reset();  // an operation we read wrongly: keep the scripted child
    }
  }
  if (adopted) {
    adopted->module->eval();
    torch::Tensor got;
    try {
      got = adopted->module->forward(probe);
    } catch (const std::exception&) {}
    const double scale = expect.abs().max().item<double>() + 1.0;
    if (got.defined() && got.sizes() == expect.sizes() && (got - expect).abs().max().item<double>() <= 1e-5 * scale)
      return *adopted;
  }
  std::string kind = "script";
  if (tensors.empty() && child.named_children().size() == 0) kind = channel_behaviour(child, probe, expect);
  if (kind == "script")
    for (const auto& p : child.named_parameters(/*recurse=*/false))
      if (p.name == "weight") kind = p.value.dim() == 4 ? "conv" : p.value.dim() == 2 ? "linear" : "script";
  return {kind, torch::nn::Sequential(ScriptStage(module))};
}

}  // namespace faultscape
