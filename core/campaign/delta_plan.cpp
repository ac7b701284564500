#include "campaign/delta_plan.h"

#include <torch/torch.h>

#include "models/max_pool.h"
#include "models/script_stage.h"

namespace faultscape {
namespace {

bool channel_local_module(torch::nn::Module* p) {
  return dynamic_cast<torch::nn::MaxPool2dImpl*>(p) || dynamic_cast<MaxPoolImpl*>(p) ||
         dynamic_cast<torch::nn::AvgPool2dImpl*>(p) || dynamic_cast<torch::nn::AdaptiveAvgPool2dImpl*>(p) ||
         dynamic_cast<torch::nn::AdaptiveMaxPool2dImpl*>(p) || dynamic_cast<torch::nn::FlattenImpl*>(p) ||
         dynamic_cast<torch::nn::ReLUImpl*>(p) || dynamic_cast<torch::nn::DropoutImpl*>(p) ||
         dynamic_cast<torch::nn::IdentityImpl*>(p) || dynamic_cast<torch::nn::BatchNorm2dImpl*>(p);
}

bool channel_local(const Stage& st) {
  if (st.module->is_empty()) return false;
  bool native = true;
  for (const auto& m : st.module->children()) native = native && channel_local_module(m.get());
  // Imported parameter-free stages were checked channel by channel at import (models/script_layers.h).
  const bool checked_script = st.module->children().size() == 1 &&
                              dynamic_cast<ScriptStageImpl*>(st.module->children()[0].get()) &&
                              (st.kind == "activation" || st.kind == "pool" || st.kind == "flatten");
  return native || checked_script;
}

}  // namespace

bool channel_local_after_first(const Stage& st) {
  const auto children = st.module->children();
  for (size_t i = 1; i < children.size(); ++i)
    if (!channel_local_module(children[i].get())) return false;
  return true;
}

DeltaPlan plan_delta(Network& net, int site_stage) {
  DeltaPlan plan;
  int s = site_stage + 1;
  for (; s < static_cast<int>(net->size()) && channel_local(net->stage(s)); ++s) plan.local.push_back(s);
  if (s >= static_cast<int>(net->size())) {
    plan.reason = "no linear layer after the site";
    return plan;
  }
  const Stage& next = net->stage(s);
  auto first = next.module->children();
  if (!first.empty()) {
    plan.conv = dynamic_cast<QuantConv2dImpl*>(first[0].get());
    plan.linear = dynamic_cast<QuantLinearImpl*>(first[0].get());
  }
  plan.block = first.empty() ? nullptr : dynamic_cast<ResidualBlock*>(first[0].get());
  if (plan.block) {
    plan.conv = &plan.block->first_conv();
    if (plan.block->shortcut_conv() && plan.block->shortcut_conv()->conv->options.groups() != 1) plan.conv = nullptr;
  }
  plan.target = s;
  plan.valid = plan.linear || (plan.conv && plan.conv->conv->options.groups() == 1);
  if (!plan.valid)
    plan.reason = "stage \"" + next.name + "\" (" + next.kind + ") after the site mixes channels and does not start " +
                  "with a convolution or linear layer";
  return plan;
}

torch::Tensor rest_of_stage(torch::nn::Sequential seq, torch::Tensor z) {
  auto it = seq->begin();
  for (++it; it != seq->end(); ++it) z = it->forward<torch::Tensor>(z);
  return z;
}

}  // namespace faultscape
