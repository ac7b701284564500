#include "explain/explainer.h"

#include <torch/torch.h>

#include "common/error.h"
#include "faults/activation_faults.h"
#include "faults/sites.h"
#include "faults/weight_faults.h"
#include "protect/schemes.h"

namespace faultscape {
namespace {

std::string stage_list(const Network& net) {
  std::string out;
  for (const auto& s : net->stages()) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

int stage_of(const Network& net, const ExplainFault& f) {
  if (f.layer.empty()) throw ConfigError("fault.layer: missing (stages: " + stage_list(net) + ")");
  const int s = net->stage_index(f.layer);
  if (s < 0)
    throw ConfigError("fault.layer: no stage \"" + f.layer + "\" in this model (stages: " + stage_list(net) + ")");
  return s;
}

FaultModel site_model(const ExplainFault& f) {
  FaultModel m;
  m.target = f.target;
  m.layers = {f.layer};
  m.format = f.format;
  return m;
}

// The tensor a weight fault names: a kind ("weight", "bias", "bn": the first such tensor of the
// stage, i.e. replica 0 of a replicated layer) or a full tensor name.
size_t pick_weight_site(const std::vector<WeightSite>& sites, const ExplainFault& f) {
  for (size_t i = 0; i < sites.size(); ++i)
    if (sites[i].name == f.tensor) return i;
  const std::string suffix = "." + f.tensor;
  for (size_t i = 0; i < sites.size(); ++i) {
    const std::string& n = sites[i].name;
    if (n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) return i;
    if (f.tensor == "bn" && (n.find("running_") != std::string::npos || n.find(".bn") != std::string::npos)) return i;
  }
  // A full name of the layer under another protection ("conv1.0.conv.weight" once conv1 is
  // triplicated): the same kind of tensor, its first copy.
  const size_t dot = f.tensor.rfind('.');
  if (dot != std::string::npos) {
    const std::string kind = f.tensor.substr(dot);
    for (size_t i = 0; i < sites.size(); ++i) {
      const std::string& n = sites[i].name;
      if (n.size() >= kind.size() && n.compare(n.size() - kind.size(), kind.size(), kind) == 0) return i;
    }
  }
  std::string known;
  for (const auto& s : sites) known += (known.empty() ? "" : ", ") + s.name;
  throw ConfigError("fault.tensor: \"" + f.tensor + "\" is not a tensor of stage " + f.layer +
                    (known.empty() ? " (it has none)" : " (tensors: " + known + ")"));
}

WordView word_view(const NumberFormat& fmt, double scale, float before, uint32_t flip, bool replace, float value) {
  WordView w;
  w.format = fmt.name();
  w.bits = fmt.bits;
  w.sign_mask = fmt.sign_mask();
  w.exponent_mask = fmt.exponent_mask();
  w.mantissa_mask = fmt.mantissa_mask();
  w.scale = scale;
  w.before = fmt.encode(before, scale);
  w.value_before = fmt.decode(w.before, scale);
  w.after = replace ? fmt.encode(value, scale) : (w.before ^ flip);
  w.value_after = fmt.decode(w.after, scale);
  return w;
}

void check_bit(const NumberFormat& fmt, int bit) {
  if (bit >= fmt.bits)
    throw ConfigError("fault.bit: bit " + std::to_string(bit) + " is outside a " + fmt.name() + " word (bits 0-" +
                      std::to_string(fmt.bits - 1) + ")");
}

StageError stage_error(const Stage& stage, const torch::Tensor& golden, const torch::Tensor& faulty, bool same) {
  StageError e;
  e.stage = stage.name;
  e.kind = stage.kind;
  e.shape = golden.sizes().vec();
  e.shape.erase(e.shape.begin());
  e.numel = golden.numel();
  if (same) {  // the stage ran before the fault: the very same tensor
    e.nonfinite = (~torch::isfinite(golden)).sum().item<int64_t>();
    return e;
  }
  const torch::Tensor finite = torch::isfinite(faulty) & torch::isfinite(golden);
  const torch::Tensor d = torch::where(finite, faulty - golden, torch::zeros_like(golden));
  e.max_abs = d.numel() ? d.abs().max().item<double>() : 0.0;
  e.l2 = d.to(torch::kDouble).norm().item<double>();
  e.corrupted = (faulty.ne(golden) & ~(torch::isnan(faulty) & torch::isnan(golden))).sum().item<int64_t>();
  e.nonfinite = (~torch::isfinite(faulty)).sum().item<int64_t>();
  return e;
}

std::string checker_kind(const std::string& name) {
  for (const char* k : {"vote", "edac", "range"}) {
    const std::string suffix = std::string("_") + k;
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) return k;
  }
  return "check";
}

// Faults of one activation site, applied to a stage output [B, ...] in place.
struct ActivationEdit {
  StuckFault stuck;
  bool use_stuck = false;
  int64_t element = -1;  // flat, per image
  uint32_t flip = 0;
  NumberFormat format;
  double scale = 1;
  float value = 0;
  void apply(torch::Tensor& out) const {
    if (use_stuck) return stuck.apply(out);
    torch::Tensor flat = out.view({out.size(0), -1});
    for (int64_t b = 0; b < out.size(0); ++b) {
      const float v = flat[b][element].item<float>();
      flat[b][element] =
          flip ? format.flip(v, flip, scale) : value;  // stuck: the raw value, as a stuck sweep writes it
    }
  }
};

}  // namespace

Explainer::Explainer(Network net, torch::Tensor images) : net_(std::move(net)), images_(std::move(images)) {
  if (images_.dim() != 4) throw ConfigError("explain: images must be [B, C, H, W]");
  torch::InferenceMode guard;
  net_->eval();
  torch::Tensor x = images_;
  for (size_t s = 0; s < net_->size(); ++s) {
    x = net_->forward_range(x, s, s + 1);
    golden_.push_back(x);
  }
}

Explanation Explainer::explain(const ExplainFault& fault) {
  torch::InferenceMode guard;
  if (fault.replay_run >= 0 && fault.layer.empty())
    throw ConfigError("fault.replay: resolve the stored trial first (ExplainSession::resolve)");
  Explanation ex;
  ex.fault = fault;
  const int s = stage_of(net_, fault);
  const int n = static_cast<int>(net_->size());
  FaultModel model = site_model(fault);

  std::vector<WeightSite> wsites;
  WeightFaultSet wset;
  ActivationEdit edit;
  if (fault.on_weights()) {
    model.tensors = {"weight", "bias", "bn"};
    wsites = weight_sites(net_, model);
    const size_t k = pick_weight_site(wsites, fault);
    const WeightSite& site = wsites[k];
    if (fault.index >= site.tensor.numel())
      throw ConfigError("fault.index: " + std::to_string(fault.index) + " is outside " + site.name + " (" +
                        std::to_string(site.tensor.numel()) + " elements)");
    WeightFault wf{static_cast<int>(k), fault.index, 0, 0, 0, !fault.flips_bit(), static_cast<float>(fault.value)};
    if (fault.flips_bit()) {
      check_bit(site.format, fault.bit);
      wf.flip = 1u << fault.bit;
    }
    const float before = site.tensor.data_ptr<float>()[fault.index];
    ex.has_word = true;
    ex.word = word_view(site.format, site.scale, before, wf.flip, wf.replace, wf.value);
    ex.site = site.name;
    ex.first_stage = site.stage;
    wset.faults.push_back(wf);
  } else {
    const std::vector<ActivationSite> asites = activation_sites(net_, model);
    const ActivationSite& site = asites.front();
    const torch::Tensor& out = golden_[s];
    const bool spatial = out.dim() == 4;
    const int64_t per_image = out.numel() / out.size(0);
    const int64_t channels = out.size(1);
    if (fault.channel >= channels)
      throw ConfigError("fault.channel: " + std::to_string(fault.channel) + " is outside " + site.name + " (" +
                        std::to_string(channels) + " channels)");
    if (fault.h >= 0 && !spatial)
      throw ConfigError("fault.pixel: " + site.name + " is a vector of " + std::to_string(channels) +
                        " features (use \"channel\" or \"element\")");
    if (fault.h >= 0 && (fault.h >= out.size(2) || fault.w >= out.size(3)))
      throw ConfigError("fault.pixel: [" + std::to_string(fault.h) + ", " + std::to_string(fault.w) + "] is outside " +
                        site.name + " (" + std::to_string(out.size(2)) + " x " + std::to_string(out.size(3)) + ")");
    if (fault.element >= per_image)
      throw ConfigError("fault.element: " + std::to_string(fault.element) + " is outside " + site.name + " (" +
                        std::to_string(per_image) + " elements per image)");
    edit.format = site.format;
    edit.scale = site.scale;
    edit.value = static_cast<float>(fault.value);
    // One element: its word is what the bit view shows (image 0's value).
    int64_t element = fault.element;
    if (element < 0 && fault.channel >= 0 && (fault.h >= 0 || !spatial))
      element = spatial ? (fault.channel * out.size(2) + fault.h) * out.size(3) + fault.w : fault.channel;
    if (fault.flips_bit()) {
      check_bit(site.format, fault.bit);
      edit.flip = 1u << fault.bit;
      edit.element = fault.element;
    } else if (fault.element >= 0) {
      edit.element = fault.element;
    } else {
      edit.use_stuck = true;
      edit.stuck = StuckFault{s, fault.channel, fault.h, fault.w, fault.value};
    }
    if (element >= 0) {
      const float before = out.reshape({out.size(0), -1})[0][element].item<float>();
      ex.has_word = true;
      // A stuck value is stored like any other: the word it reads as (quantized for intN).
      ex.word = word_view(site.format, site.scale, before, edit.flip, !fault.flips_bit(), edit.value);
    }
    ex.site = site.name;
    ex.first_stage = s;
  }

  // The faulty pass from the first faulty stage on the golden input of that stage.
  ex.golden = golden_;
  ex.faulty.assign(golden_.begin(), golden_.end());
  reset_abft_counts(net_);
  WeightUndoLog log;
  if (!wset.faults.empty()) log.apply(wsites, wset);
  try {
    torch::Tensor x = ex.first_stage == 0 ? images_ : golden_[ex.first_stage - 1];
    for (int t = ex.first_stage; t < n; ++t) {
      x = net_->forward_range(x, t, t + 1);
      if (!fault.on_weights() && t == s) {
        x = x.clone();
        edit.apply(x);
      }
      ex.faulty[t] = x;
    }
  } catch (...) {
    log.undo(wsites);
    throw;
  }
  log.undo(wsites);
  const nlohmann::json abft = abft_counts(net_);

  for (int t = 0; t < n; ++t)
    ex.stages.push_back(stage_error(net_->stage(t), ex.golden[t], ex.faulty[t], t < ex.first_stage));
  for (int t = 1; t < n; ++t) {
    const Stage& st = net_->stage(t);
    if (st.kind != "check") continue;
    ex.checkers.push_back(
        {st.name, checker_kind(st.name), ex.stages[t - 1].corrupted, ex.stages[t].corrupted, nullptr});
  }
  if (abft["checked"].get<int64_t>() > 0) {
    CheckerReport r{"abft", "abft", 0, 0, abft};
    r.corrupted_in = abft["detected"].get<int64_t>();
    r.corrupted_out = abft["uncorrectable"].get<int64_t>();
    ex.checkers.push_back(r);
  }
  ex.golden_probs = torch::softmax(ex.golden.back().to(torch::kDouble), 1);
  ex.faulty_probs = torch::softmax(ex.faulty.back().to(torch::kDouble), 1);
  ex.golden_pred = ex.golden.back().argmax(1);
  ex.faulty_pred = ex.faulty.back().argmax(1);
  return ex;
}

std::vector<std::pair<int64_t, double>> top_k(const torch::Tensor& probs, int64_t row, int k) {
  torch::Tensor p = probs[row].to(torch::kDouble).contiguous();
  k = static_cast<int>(std::min<int64_t>(k, p.numel()));
  auto [values, indices] = p.topk(k);
  std::vector<std::pair<int64_t, double>> out;
  for (int i = 0; i < k; ++i) out.emplace_back(indices[i].item<int64_t>(), values[i].item<double>());
  return out;
}

nlohmann::json Explanation::to_json(int k) const {
  nlohmann::json stages_json = nlohmann::json::array();
  for (const StageError& e : stages)
    stages_json.push_back({{"stage", e.stage},
                           {"kind", e.kind},
                           {"shape", e.shape},
                           {"max_abs", e.max_abs},
                           {"l2", e.l2},
                           {"corrupted", e.corrupted},
                           {"nonfinite", e.nonfinite}});
  nlohmann::json checkers_json = nlohmann::json::array();
  for (const CheckerReport& c : checkers) {
    nlohmann::json j = {{"stage", c.stage},
                        {"kind", c.kind},
                        {"corrupted_in", c.corrupted_in},
                        {"corrupted_out", c.corrupted_out},
                        {"corrected", c.corrected()}};
    if (!c.counts.is_null()) j["counts"] = c.counts;
    checkers_json.push_back(j);
  }
  auto top = [&](const torch::Tensor& probs) {
    nlohmann::json a = nlohmann::json::array();
    for (auto [cls, p] : top_k(probs, 0, k)) a.push_back({{"class", cls}, {"probability", p}});
    return a;
  };
  nlohmann::json j = {{"fault", faultscape::to_json(fault)},
                      {"site", site},
                      {"first_stage", first_stage},
                      {"stages", stages_json},
                      {"checkers", checkers_json},
                      {"golden_prediction", golden_pred[0].item<int64_t>()},
                      {"faulty_prediction", faulty_pred[0].item<int64_t>()},
                      {"golden_top", top(golden_probs)},
                      {"faulty_top", top(faulty_probs)}};
  if (has_word)
    j["word"] = {{"format", word.format},
                 {"bits", word.bits},
                 {"before", word.before},
                 {"after", word.after},
                 {"value_before", word.value_before},
                 {"value_after", word.value_after},
                 {"scale", word.scale},
                 {"sign_mask", word.sign_mask},
                 {"exponent_mask", word.exponent_mask},
                 {"mantissa_mask", word.mantissa_mask}};
  return j;
}

}  // namespace faultscape
