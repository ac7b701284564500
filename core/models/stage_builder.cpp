#include "models/stage_builder.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>

#include "models/max_pool.h"
#include "common/error.h"
#include "quant/quant_layers.h"
#include "quant/quantizer.h"

namespace faultscape {

StageBuilder::StageBuilder(NetworkImpl& net, const ModelConfig& config)
    : net_(net), config_(config), shape_(net.input_shape()) {}

int64_t StageBuilder::scaled(int64_t channels) const {
  return std::max<int64_t>(1, static_cast<int64_t>(std::lround(channels * config_.width)));
}

void StageBuilder::reserve(const std::string& stage, double parameters, double macs_per_image) {
  auto over = [&](const char* what, double total, int64_t limit) {
    char needed[32];
    std::snprintf(needed, sizeof needed, "%.4g", total);
    throw ModelError("model \"" + config_.name + "\" is too large: up to stage " + stage + " it needs " + needed + " " +
                     what + " (limit " + std::to_string(limit) + "); lower model.width or the input size");
  };
  parameters_ += parameters;
  macs_ += macs_per_image;
  if (parameters_ > static_cast<double>(kMaxParameters)) over("parameters", parameters_, kMaxParameters);
  if (macs_ > static_cast<double>(kMaxMacsPerImage)) over("multiply-accumulates per image", macs_, kMaxMacsPerImage);
}

void StageBuilder::add_activation(torch::nn::Sequential& seq, const ModelConfig& config) {
  if (config.act_bits > 0)
    seq->push_back(QuantAct(config.act_bits, config.act_clip, config.learnable_clip));
  else
    seq->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
}

void StageBuilder::conv(const std::string& name, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
                        bool batch_norm, bool activation) {
  if (shape_.size() != 3) throw ModelError(name + ": convolution needs a [C, H, W] input");
  int64_t h = (shape_[1] + 2 * padding - kernel) / stride + 1;
  int64_t w = (shape_[2] + 2 * padding - kernel) / stride + 1;
  if (h < 1 || w < 1)
    throw ModelError(name + ": input " + std::to_string(shape_[1]) + "x" + std::to_string(shape_[2]) +
                     " is too small for this model");
  const double weights = static_cast<double>(shape_[0]) * out * kernel * kernel;
  reserve(name, weights + (batch_norm ? 2 * out : out), weights * h * w);  // bias or BN affine
  torch::nn::Sequential seq;
  WeightQuant wq{config_.weight_bits, 0.0, config_.learnable_clip};
  seq->push_back(QuantConv2d(shape_[0], out, kernel, stride, padding, !batch_norm, wq));
  if (batch_norm) seq->push_back(torch::nn::BatchNorm2d(out));
  if (activation) add_activation(seq);
  net_.add_stage(name, "conv", seq);
  shape_ = {out, h, w};
}

void StageBuilder::pool(const std::string& name, int64_t kernel) {
  if (shape_.size() != 3 || shape_[1] < kernel || shape_[2] < kernel) return;
  torch::nn::Sequential seq(MaxPool(torch::nn::MaxPool2dOptions(kernel).stride(kernel)));
  net_.add_stage(name, "pool", seq);
  shape_ = {shape_[0], shape_[1] / kernel, shape_[2] / kernel};
}

void StageBuilder::flatten(const std::string& name) {
  int64_t features = 1;
  for (int64_t d : shape_) features *= d;
  net_.add_stage(name, "flatten", torch::nn::Sequential(torch::nn::Flatten()));
  shape_ = {features};
}

void StageBuilder::linear(const std::string& name, int64_t out, bool batch_norm, bool activation, bool bias) {
  if (shape_.size() != 1) flatten("flatten");
  const double weights = static_cast<double>(shape_[0]) * out;
  reserve(name, weights + (batch_norm ? 2 * out : bias ? out : 0), weights);
  torch::nn::Sequential seq;
  WeightQuant wq{config_.weight_bits, 0.0, config_.learnable_clip};
  seq->push_back(QuantLinear(shape_[0], out, bias && !batch_norm, wq));
  if (batch_norm) seq->push_back(torch::nn::BatchNorm1d(out));
  if (activation) add_activation(seq);
  net_.add_stage(name, "linear", seq);
  shape_ = {out};
}

void StageBuilder::custom(const std::string& name, const std::string& kind, torch::nn::Sequential seq,
                          std::vector<int64_t> out_shape) {
  net_.add_stage(name, kind, seq);
  shape_ = std::move(out_shape);
}

}  // namespace faultscape
