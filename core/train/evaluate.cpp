#include "train/evaluate.h"
#include "runtime/device.h"

#include <torch/torch.h>

#include <chrono>

namespace faultscape {
namespace {

struct TrainingFlagGuard {
  Network& net;
  bool was;
  explicit TrainingFlagGuard(Network& n) : net(n), was(n->is_training()) { net->eval(); }
  ~TrainingFlagGuard() { net->train(was); }
};

}  // namespace

torch::Tensor predict(Network& net, const torch::Tensor& images, int64_t batch_size) {
  TrainingFlagGuard guard(net);
  torch::InferenceMode inference;
  const c10::Device device = module_device(*net);
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < images.size(0); i += batch_size)
    parts.push_back(net->forward(images.narrow(0, i, std::min(batch_size, images.size(0) - i)).to(device)).argmax(1));
  return parts.empty() ? torch::empty({0}, torch::kLong) : torch::cat(parts).cpu();
}

EvalResult evaluate(Network& net, const Dataset& data, int64_t batch_size) {
  TrainingFlagGuard guard(net);
  torch::InferenceMode inference;
  auto start = std::chrono::steady_clock::now();
  EvalResult r;
  r.images = data.size();
  // Images stay where the dataset is (moved batch by batch when it is not on the model's device);
  // the counts come back to the host once, at the end.
  const c10::Device device = module_device(*net);
  std::vector<torch::Tensor> parts;
  torch::Tensor nonfinite = torch::zeros({}, torch::TensorOptions().dtype(torch::kLong).device(device));
  for (int64_t i = 0; i < r.images; i += batch_size) {
    torch::Tensor logits = net->forward(data.images.narrow(0, i, std::min(batch_size, r.images - i)).to(device));
    nonfinite += (~torch::isfinite(logits)).any(1).sum();
    parts.push_back(logits.argmax(1));
  }
  r.nonfinite_outputs = nonfinite.item<int64_t>();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.latency_ms_per_image = r.images ? 1000.0 * r.seconds / r.images : 0;
  r.predictions = parts.empty() ? torch::empty({0}, torch::kLong) : torch::cat(parts).cpu();

  const int64_t k = data.num_classes;
  r.confusion = torch::bincount(data.labels.cpu() * k + r.predictions, {}, k * k).view({k, k});
  torch::Tensor correct = r.confusion.diagonal();
  torch::Tensor per_class = r.confusion.sum(1);
  r.accuracy = r.images ? 100.0 * correct.sum().item<double>() / r.images : 0;
  for (int64_t c = 0; c < k; ++c) {
    int64_t n = per_class[c].item<int64_t>();
    r.per_class_accuracy.push_back(n ? 100.0 * correct[c].item<double>() / n : 0);
  }
  return r;
}

nlohmann::json EvalResult::to_json() const {
  nlohmann::json confusion_rows = nlohmann::json::array();
  for (int64_t i = 0; confusion.defined() && i < confusion.size(0); ++i) {
    torch::Tensor row = confusion[i].contiguous();
    confusion_rows.push_back(std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel()));
  }
  return {{"accuracy", accuracy},
          {"per_class_accuracy", per_class_accuracy},
          {"confusion", confusion_rows},
          {"images", images},
          {"nonfinite_outputs", nonfinite_outputs},
          {"seconds", seconds},
          {"latency_ms_per_image", latency_ms_per_image}};
}

}  // namespace faultscape
