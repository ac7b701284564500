#include "models/module_copy.h"

#include <torch/torch.h>

#include "common/error.h"
#include "quant/quant_layers.h"
#include "quant/quantizer.h"
#include "runtime/device.h"

namespace faultscape {
namespace {

torch::nn::AnyModule copy_quant_conv(const QuantConv2dImpl& c) {
  return torch::nn::AnyModule(QuantConv2d(conv2d_options(c.conv->options), c.quant));
}

torch::nn::AnyModule copy_quant_linear(const QuantLinearImpl& l) {
  const auto& o = l.linear->options;
  return torch::nn::AnyModule(QuantLinear(o.in_features(), o.out_features(), o.bias(), l.quant));
}

torch::nn::AnyModule copy_structure(const torch::nn::AnyModule& m) {
  torch::nn::Module* p = m.ptr().get();
  if (auto* c = dynamic_cast<const CopyableModule*>(p)) return c->copy_structure();
  if (auto* c = dynamic_cast<QuantConv2dImpl*>(p)) return copy_quant_conv(*c);
  if (auto* l = dynamic_cast<QuantLinearImpl*>(p)) return copy_quant_linear(*l);
  if (auto* a = dynamic_cast<QuantActImpl*>(p))
    return torch::nn::AnyModule(QuantAct(a->bits(), a->bound(), a->named_parameters(false).contains("bound")));
  try {
    return m.clone();  // torch's own layers are Cloneable
  } catch (const std::exception& e) {
    throw ModelError("protection: cannot copy module " + p->name() + ": " + e.what());
  }
}

}  // namespace

void copy_state(const torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto src_p = from.named_parameters(true), src_b = from.named_buffers(true);
  for (auto& p : to.named_parameters(true)) {
    const torch::Tensor* s = src_p.find(p.key());
    if (!s) throw ModelError("protection: copy has no parameter " + p.key());
    p.value().copy_(*s);
  }
  for (auto& b : to.named_buffers(true)) {
    const torch::Tensor* s = src_b.find(b.key());
    if (!s) throw ModelError("protection: copy has no buffer " + b.key());
    b.value().copy_(*s);
  }
}

torch::nn::AnyModule copy_any(const torch::nn::AnyModule& module) {
  torch::nn::AnyModule out = copy_structure(module);
  out.ptr()->to(module_device(*module.ptr()));  // new modules start on the CPU
  copy_state(*module.ptr(), *out.ptr());
  return out;
}

torch::nn::Sequential copy_sequential(const torch::nn::Sequential& seq) {
  torch::nn::Sequential out;
  for (const auto& m : *seq) out->push_back(copy_structure(m));
  out->to(module_device(*seq));  // new modules start on the CPU
  copy_state(*seq, *out);
  out->train(seq->is_training());
  return out;
}

}  // namespace faultscape
