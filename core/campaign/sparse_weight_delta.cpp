#include "campaign/sparse_weight_delta.h"

#include <torch/torch.h>

#include "campaign/delta_plan.h"

namespace faultscape {
namespace {

QuantConv2dImpl* conv_of(const Stage& st) {
  auto children = st.module->children();
  return children.empty() ? nullptr : dynamic_cast<QuantConv2dImpl*>(children[0].get());
}

QuantLinearImpl* linear_of(const Stage& st) {
  auto children = st.module->children();
  return children.empty() ? nullptr : dynamic_cast<QuantLinearImpl*>(children[0].get());
}

torch::Tensor bias_of(QuantConv2dImpl* c, QuantLinearImpl* l) { return c ? c->conv->bias : l->linear->bias; }

}  // namespace

bool SparseWeightDelta::applies(int stage) {
  auto found = golden_.find(stage);
  if (found != golden_.end()) return found->second.z.defined();
  Golden& g = golden_[stage];
  const Stage& st = ev_.net()->stage(stage);
  QuantConv2dImpl* conv = conv_of(st);
  QuantLinearImpl* linear = linear_of(st);
  if (!(linear || (conv && conv->conv->options.groups() == 1))) return false;
  torch::InferenceMode inference;
  torch::Tensor x = ev_.stage_input(stage);
  std::vector<torch::Tensor> parts;
  int64_t bytes = 0;
  for (int64_t off = 0; off < ev_.images(); off += ev_.batch_size()) {
    torch::Tensor in = x.narrow(0, off, std::min(ev_.batch_size(), ev_.images() - off));
    parts.push_back(conv ? conv->forward(in) : linear->forward(in));
    bytes += parts.back().numel() * 4;
    if (bytes > budget_) return false;
  }
  g.weight = (conv ? conv->effective_weight() : linear->effective_weight()).clone();
  if (!torch::isfinite(g.weight).all().item<bool>()) return false;
  budget_ -= bytes;
  g.z = torch::cat(parts);
  torch::Tensor b = bias_of(conv, linear);
  if (b.defined()) g.bias = b.clone();
  return true;
}

TrialMetrics SparseWeightDelta::run(int stage, int64_t& executed_macs) {
  torch::InferenceMode inference;
  const Golden& g = golden_.at(stage);
  const Stage& st = ev_.net()->stage(stage);
  QuantConv2dImpl* conv = conv_of(st);
  QuantLinearImpl* linear = linear_of(st);
  torch::Tensor dw = (conv ? conv->effective_weight() : linear->effective_weight()) - g.weight;
  torch::Tensor changed = dw.ne(0);  // NaN compares unequal too
  torch::Tensor db;
  if (g.bias.defined()) db = bias_of(conv, linear) - g.bias;
  // Output channels with a changed weight or bias; input channels with a changed weight.
  torch::Tensor out_changed = changed.flatten(1).any(1);
  if (db.defined()) out_changed = out_changed | db.ne(0);
  torch::Tensor outs = out_changed.nonzero().flatten();
  torch::Tensor ins = changed.transpose(0, 1).flatten(1).any(1).nonzero().flatten();
  torch::Tensor dw_sub = dw.index_select(0, outs).index_select(1, ins);
  torch::Tensor db_sub = db.defined() ? db.index_select(0, outs) : torch::zeros({outs.size(0)});
  torch::Tensor x = ev_.stage_input(stage);

  const int64_t layer_macs = ev_.stage_macs()[stage];
  const int64_t full = std::max<int64_t>(1, dw.size(0) * dw.size(1));
  executed_macs = layer_macs * outs.size(0) * std::max<int64_t>(1, ins.size(0)) / full;
  for (int s = stage + 1; s < static_cast<int>(ev_.net()->size()); ++s) executed_macs += ev_.stage_macs()[s];

  return ev_.run_after(stage, [&](int64_t off, int64_t len) {
    torch::Tensor z = g.z.narrow(0, off, len).clone();
    if (outs.size(0) > 0) {
      torch::Tensor delta;
      if (ins.size(0) == 0) {  // only biases changed
        delta = conv ? db_sub.view({1, -1, 1, 1}).expand({len, -1, z.size(2), z.size(3)})
                     : db_sub.view({1, -1}).expand({len, -1});
      } else if (conv) {
        const auto& o = conv->conv->options;
        torch::Tensor xs = x.narrow(0, off, len).index_select(1, ins);
        delta = torch::conv2d(xs, dw_sub, db_sub, o.stride(), c10::get<torch::ExpandingArray<2>>(o.padding()),
                              o.dilation(), 1);
      } else {
        delta = torch::linear(x.narrow(0, off, len).index_select(1, ins), dw_sub, db_sub);
      }
      z.index_add_(1, outs, delta);
    }
    return rest_of_stage(st.module, z);
  });
}

}  // namespace faultscape
