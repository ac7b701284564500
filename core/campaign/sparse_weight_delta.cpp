#include "campaign/sparse_weight_delta.h"
#include "runtime/torch_compat.h"

#include <torch/torch.h>

#include <climits>
#include <set>

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

torch::Tensor weight_of(QuantConv2dImpl* c, QuantLinearImpl* l) {
  return c ? c->effective_weight() : l->effective_weight();
}
torch::Tensor bias_of(QuantConv2dImpl* c, QuantLinearImpl* l) { return c ? c->conv->bias : l->linear->bias; }

torch::Tensor conv_with(QuantConv2dImpl& conv, const torch::Tensor& x, const torch::Tensor& w,
                        const torch::Tensor& b = {}) {
  const auto& o = conv.conv->options;
  return torch::conv2d(x, w, b, o.stride(), conv_padding(o), o.dilation(), 1);
}

}  // namespace

SparseWeightDelta::SparseWeightDelta(FaultyEvaluator& ev, const std::vector<int>& stages, int64_t budget_bytes)
    : ev_(ev) {
  torch::InferenceMode inference;
  for (int stage : stages) {
    const Stage& st = ev_.net()->stage(stage);
    QuantConv2dImpl* conv = conv_of(st);
    QuantLinearImpl* linear = linear_of(st);
    if (golden_.count(stage) || !(linear || (conv && conv->conv->options.groups() == 1))) continue;
    Golden g;
    g.weight = weight_of(conv, linear).clone();
    if (!torch::isfinite(g.weight).all().item<bool>()) continue;
    torch::Tensor x = ev_.stage_input(stage);
    std::vector<torch::Tensor> parts;
    int64_t bytes = 0;
    for (int64_t off = 0; off < ev_.images() && bytes <= budget_bytes; off += ev_.batch_size()) {
      torch::Tensor in = x.narrow(0, off, std::min(ev_.batch_size(), ev_.images() - off));
      parts.push_back(conv ? conv->forward(in) : linear->forward(in));
      bytes += parts.back().numel() * 4;
    }
    if (bytes > budget_bytes) continue;
    budget_bytes -= bytes;
    g.z = torch::cat(parts);
    torch::Tensor b = bias_of(conv, linear);
    if (b.defined()) g.bias = b.clone();
    golden_[stage] = g;
  }
}

bool SparseWeightDelta::applies(int stage) const { return golden_.count(stage) > 0; }

SparseWeightDelta::Change SparseWeightDelta::change_of(int stage) {
  const Golden& g = golden_.at(stage);
  const Stage& st = ev_.net()->stage(stage);
  QuantConv2dImpl* conv = conv_of(st);
  QuantLinearImpl* linear = linear_of(st);
  torch::Tensor dw = weight_of(conv, linear) - g.weight;
  torch::Tensor changed = dw.ne(0);  // NaN compares unequal too
  torch::Tensor db;
  if (g.bias.defined()) db = bias_of(conv, linear) - g.bias;
  torch::Tensor out_changed = changed.flatten(1).any(1);
  if (db.defined()) out_changed = out_changed | db.ne(0);
  Change c;
  c.outs = out_changed.nonzero().flatten();
  c.ins = changed.transpose(0, 1).flatten(1).any(1).nonzero().flatten();
  c.dw = dw.index_select(0, c.outs).index_select(1, c.ins);
  c.db = db.defined() ? db.index_select(0, c.outs) : torch::zeros({c.outs.size(0)}, dw.options());
  return c;
}

void SparseWeightDelta::add_change(torch::Tensor& z, const torch::Tensor& x, const Change& c, int stage) {
  if (c.outs.size(0) == 0) return;
  const int64_t len = z.size(0);
  QuantConv2dImpl* conv = conv_of(ev_.net()->stage(stage));
  torch::Tensor delta;
  if (c.ins.size(0) == 0)  // only biases changed
    delta =
        conv ? c.db.view({1, -1, 1, 1}).expand({len, -1, z.size(2), z.size(3)}) : c.db.view({1, -1}).expand({len, -1});
  else if (conv)
    delta = conv_with(*conv, x.index_select(1, c.ins), c.dw, c.db);
  else
    delta = torch::linear(x.index_select(1, c.ins), c.dw, c.db);
  z.index_add_(1, c.outs, delta);
}

DeltaPlan SparseWeightDelta::propagation(int stage, const std::vector<WeightSite>& sites, const WeightFaultSet& set) {
  DeltaPlan none;
  if (set.noise_sigma > 0 || !channel_local_after_first(ev_.net()->stage(stage))) return none;
  Network& net = ev_.net();
  DeltaPlan plan = plan_delta(net, stage);
  if (!plan.valid || plan.block || !applies(plan.target)) return none;
  for (int s : plan.local)  // the change is carried on its channels alone: no per-channel parameters
    if (!net->stage(s).module->parameters().empty() || !net->stage(s).module->buffers().empty()) return none;
  // Faults only in the two layers' weights and biases: the stages between keep their golden maps.
  auto layer_tensor = [&](int s, const torch::Tensor& t) {
    const Stage& st = net->stage(s);
    QuantConv2dImpl* conv = conv_of(st);
    QuantLinearImpl* linear = linear_of(st);
    return t.is_same(conv ? conv->conv->weight : linear->linear->weight) || t.is_same(bias_of(conv, linear));
  };
  for (const WeightFault& f : set.faults) {
    const WeightSite& site = sites[f.site];
    if (site.stage > plan.target) continue;
    if ((site.stage != stage && site.stage != plan.target) || !layer_tensor(site.stage, site.tensor)) return none;
  }
  return plan;
}

int SparseWeightDelta::first_changed(int first, const std::vector<WeightSite>& sites, const WeightFaultSet& set) {
  if (set.noise_sigma > 0) return first;
  std::set<int> stages;
  for (const WeightFault& f : set.faults) stages.insert(sites[f.site].stage);
  for (int s : stages) {
    if (s < first) continue;
    // Only the stage's linear layer is hit, and its effective weights and bias are unchanged.
    const Stage& st = ev_.net()->stage(s);
    QuantConv2dImpl* conv = conv_of(st);
    QuantLinearImpl* linear = linear_of(st);
    if (!applies(s)) return s;
    for (const WeightFault& f : set.faults) {
      const WeightSite& site = sites[f.site];
      if (site.stage == s && !site.tensor.is_same(conv ? conv->conv->weight : linear->linear->weight) &&
          !site.tensor.is_same(bias_of(conv, linear)))
        return s;
    }
    if (change_of(s).outs.size(0) > 0) return s;
  }
  return INT_MAX;
}

TrialMetrics SparseWeightDelta::run(int stage, const std::vector<WeightSite>& sites, const WeightFaultSet& set,
                                    int64_t& executed_macs) {
  torch::InferenceMode inference;
  Network& net = ev_.net();
  const Stage& st = net->stage(stage);
  const Golden& g = golden_.at(stage);
  const Change first = change_of(stage);
  const torch::Tensor x = ev_.stage_input(stage);
  const std::vector<int64_t>& macs = ev_.stage_macs();
  auto share = [](int64_t layer_macs, const Change& c, const torch::Tensor& dw_full_shape_rows, int64_t cols) {
    return layer_macs * c.outs.size(0) * std::max<int64_t>(1, c.ins.size(0)) /
           std::max<int64_t>(1, dw_full_shape_rows.size(0) * cols);
  };
  executed_macs = share(macs[stage], first, g.weight, g.weight.size(1));

  const DeltaPlan plan = propagation(stage, sites, set);
  if (!plan.valid) {
    for (int s = stage + 1; s < static_cast<int>(net->size()); ++s) executed_macs += macs[s];
    return ev_.run_after_first_module(stage, [&](int64_t off, int64_t len) {
      torch::Tensor z = g.z.narrow(0, off, len).clone();
      add_change(z, x.narrow(0, off, len), first, stage);
      return z;
    });
  }

  // The change sits in channels `outs` of the first stage's output; carry it to the target layer.
  ++propagated_;
  const int target = plan.target;
  const Golden& g2 = golden_.at(target);
  const Change second = change_of(target);
  QuantConv2dImpl* conv2 = conv_of(net->stage(target));
  const torch::Tensor y_golden = ev_.stage_input(stage + 1), x2_golden = ev_.stage_input(target);
  const torch::Tensor& outs = first.outs;
  // A linear target after flattening reads channel o as columns [o * per, (o + 1) * per).
  const int64_t per = conv2 ? 1 : x2_golden.size(1) / std::max<int64_t>(1, y_golden.size(1));
  const torch::Tensor cols =
      conv2 ? outs : (outs.view({-1, 1}) * per + torch::arange(per, outs.options()).view({1, -1})).flatten();
  const torch::Tensor w2_cols = g2.weight.index_select(1, cols);
  executed_macs += macs[target] * outs.size(0) / std::max<int64_t>(1, y_golden.size(1)) +
                   share(macs[target], second, g2.weight, g2.weight.size(1));
  for (int s = target + 1; s < static_cast<int>(net->size()); ++s) executed_macs += macs[s];

  return ev_.run_after_first_module(target, [&](int64_t off, int64_t len) {
    torch::Tensor z = g.z.narrow(0, off, len).clone();
    add_change(z, x.narrow(0, off, len), first, stage);
    torch::Tensor faulty = rest_of_stage(st.module, z).index_select(1, outs);
    for (int s : plan.local) faulty = net->forward_range(faulty, s, s + 1);
    // The local stages act per channel: their golden output is the target's cached golden input.
    const torch::Tensor golden_local = x2_golden.narrow(0, off, len).index_select(1, cols);
    torch::Tensor z2 = g2.z.narrow(0, off, len).clone();
    if (outs.size(0) > 0) {
      torch::Tensor d = faulty - golden_local;
      z2 += conv2 ? conv_with(*conv2, d, w2_cols) : d.reshape({len, -1}).matmul(w2_cols.t());
    }
    if (second.outs.size(0) > 0) {  // the target's own faults act on its faulty input
      torch::Tensor x2 = x2_golden.narrow(0, off, len).clone();
      x2.index_copy_(1, cols, faulty.reshape(conv2 ? faulty.sizes() : c10::IntArrayRef{len, -1}));
      add_change(z2, x2, second, target);
    }
    return z2;
  });
}

}  // namespace faultscape
