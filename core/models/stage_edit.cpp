#include "models/stage_edit.h"

#include <torch/torch.h>

#include "common/error.h"
#include "models/threshold_relu.h"
#include "quant/quantizer.h"

namespace faultscape {

int remove_from_stages(Network& net, const std::function<bool(const torch::nn::Module&)>& match) {
  int removed = 0;
  for (size_t i = 0; i < net->size(); ++i) {
    const Stage& stage = net->stage(i);
    auto names = stage.module->named_children();
    bool any = false;
    for (const auto& item : names) any = any || match(*item.value());
    if (!any) continue;
    // Sequential cannot erase: rebuild it from the kept modules under their original names.
    torch::nn::Sequential kept;
    size_t k = 0;
    for (const auto& m : *stage.module) {
      if (match(*m.ptr()))
        ++removed;
      else
        kept->push_back(names[k].key(), m);
      ++k;
    }
    net->replace_module(stage.name, kept);
    // Network exposes stages read-only; the stage record must follow the registered module.
    const_cast<Stage&>(stage).module = kept;
  }
  return removed;
}

namespace {
bool ends_in_activation(const Stage& s) {
  if (s.kind == "pool" || s.kind == "block") return true;
  if (s.module->is_empty()) return false;
  const torch::nn::Module* last = s.module->children().back().get();
  // A learned-threshold gate ends a ReLU stage (it filters the ReLU's output).
  return dynamic_cast<const QuantActImpl*>(last) || dynamic_cast<const torch::nn::ReLUImpl*>(last) ||
         dynamic_cast<const ThresholdReLUImpl*>(last) || dynamic_cast<const torch::nn::ReLU6Impl*>(last) ||
         dynamic_cast<const torch::nn::HardtanhImpl*>(last);
}
}  // namespace

std::vector<int> activation_stages(const Network& net, const std::vector<std::string>& names,
                                   const std::string& field) {
  std::vector<int> out;
  const int last = static_cast<int>(net->size()) - 1;
  if (names.empty()) {
    for (int i = 0; i < last; ++i)
      if (ends_in_activation(net->stage(i))) out.push_back(i);
    if (out.empty()) throw ConfigError(field + ": the model has no activation or pooling stage");
    return out;
  }
  for (const auto& name : names) {
    int i = net->stage_index(name);
    if (i < 0) {
      std::string known;
      for (const auto& s : net->stages()) known += (known.empty() ? "" : ", ") + s.name;
      throw ConfigError(field + ": no stage \"" + name + "\" in this model (stages: " + known + ")");
    }
    out.push_back(i);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace faultscape
