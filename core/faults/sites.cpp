#include "faults/sites.h"

#include <torch/torch.h>

#include "common/error.h"
#include "models/module_copy.h"
#include "models/script_stage.h"
#include "quant/quant_layers.h"
#include "quant/quantizer.h"

namespace faultscape {
namespace {

bool is_compute_stage(const Stage& s) { return s.kind == "conv" || s.kind == "linear" || s.kind == "block"; }

// The stored format of a weight: intN of its layer's quantizer, else fp32 (unless forced).
// `bits` and `bound` are the layer's weight quantizer (bits 0 = float).
void weight_format(const FaultModel& f, int bits, double bound, NumberFormat& fmt, double& scale) {
  if (f.format != "auto") {
    fmt = NumberFormat::parse(f.format);
    // 0: per-tensor max-abs scale, set below
    scale = bits > 0 ? (bits == 1 ? bound : bound / quant_max_level(bits)) : 0.0;
    return;
  }
  if (bits > 0) {
    fmt = {NumberFormat::Kind::Int, bits};
    scale = bits == 1 ? bound : bound / quant_max_level(bits);
  } else {
    fmt = {NumberFormat::Kind::FP32, 32};
    scale = 1.0;
  }
}

// Batch-norm parameters and running statistics, kept at higher precision: fp32 unless forced.
template <class BatchNorm>
void add_batch_norm(torch::nn::Module* m, int stage, const std::string& name, const FaultModel& f,
                    std::vector<WeightSite>& sites) {
  auto* bn = dynamic_cast<BatchNorm*>(m);
  if (!bn) return;
  NumberFormat fmt = f.format == "auto" ? NumberFormat{} : NumberFormat::parse(f.format);
  const char* field[] = {".weight", ".bias", ".running_mean", ".running_var"};
  torch::Tensor* tensors[] = {&bn->weight, &bn->bias, &bn->running_mean, &bn->running_var};
  for (int i = 0; i < 4; ++i)
    if (tensors[i]->defined()) sites.push_back({stage, name + field[i], *tensors[i], fmt, 1.0});
}

// fault_checkers: a checker's own float state (intervals, bounds, tolerances, checksums, decode
// scales), stored as fp32 unless a format is forced (intN then with a per-tensor max-abs scale).
// Index buffers (which channels are duplicated) are wiring, not stored data.
void add_checker_state(torch::nn::Module* m, int stage, const std::string& name, const FaultModel& f,
                       std::vector<WeightSite>& sites) {
  NumberFormat fmt = f.format == "auto" ? NumberFormat{} : NumberFormat::parse(f.format);
  const double scale = fmt.kind == NumberFormat::Kind::Int ? 0.0 : 1.0;
  auto add = [&](const std::string& key, const torch::Tensor& t) {
    if (t.scalar_type() == torch::kFloat && t.numel() > 0) sites.push_back({stage, name + "." + key, t, fmt, scale});
  };
  for (const auto& item : m->named_buffers(false)) add(item.key(), item.value());
  for (const auto& item : m->named_parameters(false)) add(item.key(), item.value());
}

// The selected stages and, with fault_checkers, the checker stages after them ("<layer>_...").
std::vector<int> stages_with_checkers(const Network& net, const FaultModel& fault) {
  std::vector<int> out = selected_stages(net, fault, true);
  if (!fault.fault_checkers) return out;
  const std::vector<int> layers = out;
  for (int i = 0; i < static_cast<int>(net->size()); ++i) {
    if (net->stage(i).kind != "check") continue;
    bool mine = fault.layers.empty();
    for (int s : layers) mine = mine || net->stage(i).name.rfind(net->stage(s).name + "_", 0) == 0;
    if (mine) out.push_back(i);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

std::vector<int> selected_stages(const Network& net, const FaultModel& fault, bool include_last) {
  std::vector<int> out;
  if (fault.layers.empty()) {
    // The logits layer: the last stage before any trailing checkers (a protected logits layer
    // keeps being the logits layer, so protected and unprotected networks have the same sites).
    const int end = static_cast<int>(net->size());
    int last = end - 1;
    while (last > 0 && net->stage(last).kind == "check") --last;
    for (int i = 0; i < end; ++i)
      if (is_compute_stage(net->stage(i)) && (include_last || i != last)) out.push_back(i);
    return out;
  }
  for (const auto& name : fault.layers) {
    int i = net->stage_index(name);
    if (i < 0) {
      std::string known;
      for (const auto& s : net->stages()) known += (known.empty() ? "" : ", ") + s.name;
      throw ConfigError("faults.layers: no stage \"" + name + "\" in this model (stages: " + known + ")");
    }
    out.push_back(i);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<WeightSite> weight_sites(Network& net, const FaultModel& fault) {
  auto wants = [&](const char* t) {
    return std::find(fault.tensors.begin(), fault.tensors.end(), t) != fault.tensors.end();
  };
  std::vector<WeightSite> sites;
  for (int s : stages_with_checkers(net, fault)) {
    const Stage& stage = net->stage(s);
    for (const auto& item : stage.module->named_modules(stage.name)) {
      torch::nn::Module* m = item.value().get();
      bool quant_layer = false;
      int bits = 0;
      double bound = 0;
      torch::Tensor weight, bias;
      if (auto* c = dynamic_cast<QuantConv2dImpl*>(m)) {
        quant_layer = true, bits = c->quant.bits, bound = c->weight_bound();
        weight = c->conv->weight, bias = c->conv->bias;
      } else if (auto* l = dynamic_cast<QuantLinearImpl*>(m)) {
        quant_layer = true, bits = l->quant.bits, bound = l->weight_bound();
        weight = l->linear->weight, bias = l->linear->bias;
      }
      if (quant_layer) {
        NumberFormat fmt;
        double scale;
        weight_format(fault, bits, bound, fmt, scale);
        if (wants("weight")) sites.push_back({s, item.key() + ".weight", weight, fmt, scale});
        // Biases and batch-norm parameters are kept at higher precision: fp32 unless forced.
        NumberFormat wide = fault.format == "auto" ? NumberFormat{} : fmt;
        if (wants("bias") && bias.defined()) sites.push_back({s, item.key() + ".bias", bias, wide, scale});
      } else if (auto* script = dynamic_cast<ScriptStageImpl*>(m)) {
        // Imported TorchScript: parameters stored as fp32 unless a format is forced (intN then
        // uses a per-tensor max-abs scale, set below); names ending in "bias" are biases.
        NumberFormat fmt = fault.format == "auto" ? NumberFormat{} : NumberFormat::parse(fault.format);
        const double scale = fmt.kind == NumberFormat::Kind::Int ? 0.0 : 1.0;
        for (const auto& [pname, tensor] : script->script_parameters()) {
          const bool is_bias = pname.size() >= 4 && pname.compare(pname.size() - 4, 4, "bias") == 0;
          if (is_bias ? wants("bias") : wants("weight"))
            sites.push_back({s, item.key() + "." + pname, tensor, fmt, scale});
        }
      } else if (fault.fault_checkers && dynamic_cast<CheckerOps*>(m)) {
        add_checker_state(m, s, item.key(), fault, sites);
      } else if (wants("bn") || fault.fault_checkers) {
        add_batch_norm<torch::nn::BatchNorm2dImpl>(m, s, item.key(), fault, sites);
        add_batch_norm<torch::nn::BatchNorm1dImpl>(m, s, item.key(), fault, sites);
      }
    }
  }
  for (auto& site : sites) {
    if (!site.tensor.is_contiguous() || site.tensor.scalar_type() != torch::kFloat)
      throw ModelError(site.name + ": weight faults need contiguous float32 tensors");
    if (site.format.kind == NumberFormat::Kind::Int && site.scale <= 0 && fault.int_step > 0) {
      site.scale = fault.int_step;  // a fixed-point word of a fixed step
    } else if (site.format.kind == NumberFormat::Kind::Int && site.scale <= 0) {
      // A float layer stored as intN: symmetric per-tensor quantization.
      double max_abs = site.tensor.abs().max().item<double>();
      site.scale = site.format.bits == 1 ? max_abs : max_abs / quant_max_level(site.format.bits);
      if (site.scale <= 0) site.scale = 1.0;
    }
  }
  return sites;
}

std::vector<ActivationSite> activation_sites(Network& net, const FaultModel& fault) {
  std::vector<ActivationSite> sites;
  for (int s : selected_stages(net, fault, false)) {
    ActivationSite site{s, net->stage(s).name, {}, 1.0, {}};
    // The stage's own activation quantizer (its bound may have been learned).
    QuantActImpl* act = nullptr;
    for (const auto& m : net->stage(s).module->modules())
      if (auto* a = dynamic_cast<QuantActImpl*>(m.get())) act = a;
    if (act) {
      site.levels = act->levels();
      site.scale = act->bits() == 1 ? act->bound() : act->bound() / quant_max_level(act->bits());
      site.format = {NumberFormat::Kind::Int, act->bits()};
    }
    if (fault.format != "auto") site.format = NumberFormat::parse(fault.format);
    sites.push_back(site);
  }
  return sites;
}

}  // namespace faultscape
