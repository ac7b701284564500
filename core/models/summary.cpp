#include "models/summary.h"
#include "runtime/device.h"

#include <torch/torch.h>

#include <iomanip>
#include <sstream>

#include "quant/quant_layers.h"

namespace faultscape {
namespace {

int64_t stage_macs(const torch::nn::Module& stage) {
  int64_t macs = 0;
  for (const auto& m : stage.modules(/*include_self=*/true)) {
    if (auto* c = dynamic_cast<QuantConv2dImpl*>(m.get())) macs += c->last_macs;
    if (auto* l = dynamic_cast<QuantLinearImpl*>(m.get())) macs += l->last_macs;
  }
  return macs;
}

int64_t stage_params(const torch::nn::Module& stage) {
  int64_t n = 0;
  for (const auto& p : stage.parameters()) n += p.numel();
  return n;
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string t;
  for (size_t i = 0; i < s.size(); ++i) t += (i ? "x" : "") + std::to_string(s[i]);
  return t;
}

}  // namespace

ModelSummary summarize(Network& net) {
  bool was_training = net->is_training();
  net->eval();
  torch::NoGradGuard no_grad;
  std::vector<int64_t> in = {1};
  for (int64_t d : net->input_shape()) in.push_back(d);
  torch::Tensor x = torch::zeros(in, torch::TensorOptions().device(module_device(*net)));
  ModelSummary summary;
  for (size_t i = 0; i < net->size(); ++i) {
    const Stage& st = net->stage(i);
    x = net->forward_range(x, i, i + 1);
    StageSummary s{st.name, st.kind, {}, stage_params(*st.module), stage_macs(*st.module)};
    for (int64_t d = 1; d < x.dim(); ++d) s.output_shape.push_back(x.size(d));
    summary.params += s.params;
    summary.macs += s.macs;
    summary.stages.push_back(std::move(s));
  }
  net->train(was_training);
  return summary;
}

nlohmann::json ModelSummary::to_json() const {
  nlohmann::json j = {{"params", params}, {"macs", macs}, {"stages", nlohmann::json::array()}};
  for (const auto& s : stages)
    j["stages"].push_back(
        {{"name", s.name}, {"kind", s.kind}, {"output_shape", s.output_shape}, {"params", s.params}, {"macs", s.macs}});
  return j;
}

std::string ModelSummary::to_table() const {
  std::ostringstream o;
  o << std::left << std::setw(12) << "stage" << std::setw(12) << "kind" << std::setw(14) << "output" << std::right
    << std::setw(12) << "params" << std::setw(14) << "MACs"
    << "\n";
  for (const auto& s : stages)
    o << std::left << std::setw(12) << s.name << std::setw(12) << s.kind << std::setw(14) << shape_text(s.output_shape)
      << std::right << std::setw(12) << s.params << std::setw(14) << s.macs << "\n";
  o << std::left << std::setw(38) << "total" << std::right << std::setw(12) << params << std::setw(14) << macs << "\n";
  return o.str();
}

}  // namespace faultscape
