// A model as an ordered list of named stages. Every stage output is an activation site (where
// activation faults go and where golden activations are cached); every parameter is a weight site.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <map>
#include <string>
#include <vector>

#include "models/model_config.h"

namespace faultscape {

struct Stage {
  std::string name;              // unique: "conv0", "pool1", "fc2", "block2_1", ...
  std::string kind;              // "conv", "linear", "pool", "flatten", "block", "script", ...
  torch::nn::Sequential module;  // any single-input module can be wrapped in a Sequential
};

// The stored-weight encoding a stage's weights were trained under (saturating-weight training,
// paper 003): w = scale * f(v), f = tanh or 2/pi atan. Model files record it, and the `saturate`
// scheme stores the weights again with exactly this scale rather than one derived anew.
struct TrainedEncoding {
  std::string function;  // tanh | atan
  double scale = 0;      // s
};

class NetworkImpl : public torch::nn::Module {
 public:
  NetworkImpl(ModelConfig config, std::vector<int64_t> input_shape, int64_t num_classes);

  // Appends a stage; its parameters are registered under the stage name.
  void add_stage(const std::string& name, const std::string& kind, torch::nn::Sequential module);

  torch::Tensor forward(const torch::Tensor& x) { return forward_range(x, 0, size()); }
  // Runs stages [begin, end) on x, which must be the input of stage `begin`.
  torch::Tensor forward_range(torch::Tensor x, size_t begin, size_t end);

  size_t size() const { return stages_.size(); }
  const Stage& stage(size_t i) const { return stages_.at(i); }
  const std::vector<Stage>& stages() const { return stages_; }
  int stage_index(const std::string& name) const;  // -1 if absent

  const ModelConfig& config() const { return config_; }
  const std::vector<int64_t>& input_shape() const { return input_shape_; }  // {C, H, W}
  int64_t num_classes() const { return num_classes_; }

  // By stage name; empty unless the network was trained with saturating weights.
  const std::map<std::string, TrainedEncoding>& trained_encodings() const { return trained_encodings_; }
  void set_trained_encoding(const std::string& stage, TrainedEncoding encoding) {
    trained_encodings_[stage] = std::move(encoding);
  }

 private:
  ModelConfig config_;
  std::vector<int64_t> input_shape_;
  int64_t num_classes_;
  std::vector<Stage> stages_;
  std::map<std::string, TrainedEncoding> trained_encodings_;
};
TORCH_MODULE(Network);

}  // namespace faultscape
