#include "campaign/faulty_evaluator.h"

#include <torch/torch.h>

#include "models/max_pool.h"
#include "models/summary.h"

namespace faultscape {
namespace {

bool is_relu(const torch::nn::Module& m) { return dynamic_cast<const torch::nn::ReLUImpl*>(&m) != nullptr; }
bool is_max_pool(const torch::nn::Module& m) {
  return dynamic_cast<const MaxPoolImpl*>(&m) || dynamic_cast<const torch::nn::MaxPool2dImpl*>(&m);
}

// Stage s ends in a ReLU and stage s + 1 is one max pooling: max and ReLU commute exactly (ReLU is
// monotone; NaN propagates through both), so pooling first runs the ReLU on a quarter of the values.
bool pool_before_relu(NetworkImpl& net, int s) {
  if (s + 1 >= static_cast<int>(net.size())) return false;
  const auto& stage = *net.stage(s).module;
  const auto& next = *net.stage(s + 1).module;
  return !stage.is_empty() && is_relu(*stage.ptr(stage.size() - 1)) && next.size() == 1 && is_max_pool(*next.ptr(0));
}

}  // namespace

FaultyEvaluator::FaultyEvaluator(Network net, torch::Tensor images, torch::Tensor labels, int64_t batch_size,
                                 int64_t cache_bytes)
    : net_(std::move(net)), images_(std::move(images)), labels_(std::move(labels)), batch_size_(batch_size) {
  net_->eval();
  ModelSummary summary = summarize(net_);
  for (const auto& s : summary.stages) {
    int64_t n = 1;
    for (int64_t d : s.output_shape) n *= d;
    output_numel_.push_back(n);
    stage_macs_.push_back(s.macs);
  }
  torch::InferenceMode inference;
  const int stages = static_cast<int>(net_->size());
  for (int s = 0; s < stages; ++s) pool_first_.push_back(pool_before_relu(*net_, s));
  const int64_t n = images_.size(0);
  // Cache golden stage inputs from the deepest stage backwards: deep inputs are small and every
  // trial whose first fault lies at or after them skips the expensive early layers.
  cache_.assign(stages + 1, torch::Tensor());
  int64_t budget = cache_bytes;
  for (int s = stages - 1; s >= 1; --s) {
    int64_t bytes = n * output_numel_[s - 1] * 4;
    if (bytes > budget) continue;
    budget -= bytes;
    std::vector<int64_t> shape = {n};
    const auto& out = summary.stages[s - 1].output_shape;
    shape.insert(shape.end(), out.begin(), out.end());
    cache_[s] = torch::empty(shape, images_.options());
  }
  std::vector<torch::Tensor> preds;
  for (int64_t off = 0; off < n; off += batch_size_) {
    int64_t b = std::min(batch_size_, n - off);
    torch::Tensor x = images_.narrow(0, off, b);
    for (int s = 0; s < stages; ++s) {
      x = net_->forward_range(x, s, s + 1);
      if (s + 1 < stages && cache_[s + 1].defined()) cache_[s + 1].narrow(0, off, b).copy_(x);
    }
    preds.push_back(x.argmax(1));
  }
  golden_ = preds.empty() ? torch::empty({0}, torch::kLong) : torch::cat(preds);
  golden_accuracy_ = n ? 100.0 * golden_.eq(labels_).sum().item<double>() / n : 0;
}

int FaultyEvaluator::cached_at_or_before(int s) const {
  for (int k = s; k >= 1; --k)
    if (cache_[k].defined()) return k;
  return 0;
}

torch::Tensor FaultyEvaluator::stage_input(int s) {
  if (s == 0) return images_;
  if (cache_[s].defined()) return cache_[s];
  torch::InferenceMode inference;
  int start = cached_at_or_before(s);
  torch::Tensor source = start == 0 ? images_ : cache_[start];
  std::vector<torch::Tensor> parts;
  for (int64_t off = 0; off < images(); off += batch_size_)
    parts.push_back(net_->forward_range(source.narrow(0, off, std::min(batch_size_, images() - off)), start, s));
  return torch::cat(parts);
}

torch::Tensor FaultyEvaluator::forward_from(int first, torch::Tensor x, int64_t offset, const Hook& hook) {
  for (int s = first; s < static_cast<int>(net_->size()); ++s) {
    if (!hook && pool_first_[s]) {  // stages s and s + 1 as pool(...) then ReLU
      torch::nn::Sequential stage = net_->stage(s).module;
      auto it = stage->begin();
      for (size_t i = 0; i + 1 < stage->size(); ++i, ++it) x = it->forward<torch::Tensor>(x);
      x = torch::relu(net_->forward_range(x, s + 1, s + 2));
      ++s;
      continue;
    }
    torch::Tensor y = net_->forward_range(x, s, s + 1);
    if (hook) {
      if (y.data_ptr() == x.data_ptr()) y = y.clone();  // never modify a cached golden tensor
      hook(s, y, offset);
    }
    x = y;
  }
  return x;
}

torch::Tensor FaultyEvaluator::forward_after_first_module(int s, torch::Tensor z, int64_t offset) {
  torch::nn::Sequential stage = net_->stage(s).module;
  const bool pool_first = pool_first_[s] && stage->size() > 1;  // the ReLU is not the module z left
  auto it = stage->begin();
  for (size_t i = 1; i < stage->size(); ++i) {
    ++it;
    if (pool_first && i + 1 == stage->size()) break;
    z = it->forward<torch::Tensor>(z);
  }
  if (pool_first) return forward_from(s + 2, torch::relu(net_->forward_range(z, s + 1, s + 2)), offset);
  return forward_from(s + 1, z, offset);
}

TrialMetrics FaultyEvaluator::run_from(int first, const Hook& hook) {
  torch::InferenceMode inference;
  int start = cached_at_or_before(std::min<int>(first, static_cast<int>(net_->size()) - 1));
  torch::Tensor source = start == 0 ? images_ : cache_[start];
  return run_batches(
      [&](int64_t off, int64_t len) { return forward_from(start, source.narrow(0, off, len), off, hook); });
}

TrialMetrics FaultyEvaluator::run_after_first_module(int stage,
                                                     const std::function<torch::Tensor(int64_t, int64_t)>& output) {
  torch::InferenceMode inference;
  return run_batches(
      [&](int64_t off, int64_t len) { return forward_after_first_module(stage, output(off, len), off); });
}

TrialMetrics FaultyEvaluator::run_batches(const std::function<torch::Tensor(int64_t, int64_t)>& logits_of) {
  std::vector<torch::Tensor> preds, nonfinite;
  for (int64_t off = 0; off < images(); off += batch_size_) {
    torch::Tensor logits = logits_of(off, std::min(batch_size_, images() - off));
    nonfinite.push_back((~torch::isfinite(logits)).any(1).sum());
    preds.push_back(logits.argmax(1));
  }
  return score_counts(torch::cat(preds), 0, torch::stack(nonfinite).sum());
}

TrialMetrics FaultyEvaluator::score(const torch::Tensor& predictions, int64_t nonfinite) const {
  return score_slice(predictions, 0, nonfinite);
}

TrialMetrics FaultyEvaluator::score_slice(const torch::Tensor& p, int64_t offset, int64_t nonfinite) const {
  return score_counts(p, offset, torch::full({}, nonfinite, torch::TensorOptions().dtype(torch::kLong)));
}

TrialMetrics FaultyEvaluator::score_counts(const torch::Tensor& p, int64_t offset,
                                           const torch::Tensor& nonfinite) const {
  const int64_t n = p.size(0);
  torch::Tensor labels = labels_.narrow(0, offset, n), golden = golden_.narrow(0, offset, n);
  // The four counts come to the host in one copy (one synchronisation on a GPU).
  torch::Tensor c = torch::stack({p.eq(labels).sum(), p.ne(golden).sum(), (golden.eq(labels) & p.ne(labels)).sum(),
                                  nonfinite.to(p.device())})
                        .cpu();
  const int64_t* v = c.data_ptr<int64_t>();
  TrialMetrics m;
  m.accuracy = 100.0 * static_cast<double>(v[0]) / n;
  m.sdc_rate = 100.0 * static_cast<double>(v[1]) / n;
  m.critical_sdc_rate = 100.0 * static_cast<double>(v[2]) / n;
  m.nonfinite = v[3];
  return m;
}

nlohmann::json TrialMetrics::to_json() const {
  return {{"accuracy", accuracy},
          {"sdc_rate", sdc_rate},
          {"critical_sdc_rate", critical_sdc_rate},
          {"nonfinite", nonfinite}};
}

}  // namespace faultscape
