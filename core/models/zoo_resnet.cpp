// CIFAR ResNets (He et al. 2016): ResNet-20 (3 x 3 basic blocks of 16/32/64 channels) and the
// CIFAR variant of ResNet-18 (3x3 stem, 4 x 2 basic blocks of 64..512). Each residual block is
// one stage, so its output is an activation site.
#include <torch/torch.h>

#include "models/stage_builder.h"
#include "models/zoo.h"
#include "models/module_copy.h"
#include "models/path_block.h"
#include "models/residual_block.h"
#include "quant/quant_layers.h"

namespace faultscape {
namespace {

// Copyable, so that protection schemes can give a protected network its own copy of every block.
class BasicBlockImpl : public torch::nn::Module, public CopyableModule, public ResidualBlock, public HasPaths {
 public:
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride, const ModelConfig& config, WeightQuant wq)
      : in_(in), out_(out), stride_(stride), config_(config), wq_(wq) {
    conv1 = register_module("conv1", QuantConv2d(in, out, 3, stride, 1, false, wq));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(out));
    conv2 = register_module("conv2", QuantConv2d(out, out, 3, 1, 1, false, wq));
    bn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
    StageBuilder::add_activation(act1, config);
    StageBuilder::add_activation(act2, config);
    register_module("act1", act1);
    register_module("act2", act2);
    if (stride != 1 || in != out) {
      // Projection shortcut (option B) where the shape changes.
      shortcut = register_module("shortcut", torch::nn::Sequential(QuantConv2d(in, out, 1, stride, 0, false, wq),
                                                                   torch::nn::BatchNorm2d(out)));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) { return finish(conv1(x), shortcut_of(x)); }

  QuantConv2dImpl& first_conv() override { return *conv1; }
  QuantConv2dImpl* shortcut_conv() override { return shortcut ? shortcut[0]->as<QuantConv2dImpl>() : nullptr; }
  torch::nn::BatchNorm2dImpl* shortcut_norm() override {
    return shortcut ? shortcut[1]->as<torch::nn::BatchNorm2dImpl>() : nullptr;
  }
  torch::Tensor shortcut_of(const torch::Tensor& x) override { return shortcut ? shortcut->forward(x) : x; }
  torch::Tensor finish(const torch::Tensor& z1, const torch::Tensor& s) override {
    torch::Tensor y = act1->forward(bn1(z1));
    y = bn2(conv2(y));
    return act2->forward(y + s);
  }

  torch::nn::AnyModule copy_structure() const override;
  PathBlock to_paths() const override;

  QuantConv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential act1, act2, shortcut{nullptr};

 private:
  int64_t in_, out_, stride_;
  ModelConfig config_;
  WeightQuant wq_;
};
TORCH_MODULE(BasicBlock);

torch::nn::AnyModule BasicBlockImpl::copy_structure() const {
  return torch::nn::AnyModule(BasicBlock(in_, out_, stride_, config_, wq_));
}

PathBlock BasicBlockImpl::to_paths() const {
  auto seq = [](std::initializer_list<torch::nn::AnyModule> modules) {
    torch::nn::Sequential out;
    for (const auto& m : modules) out->push_back(copy_any(m));
    return out;
  };
  auto path = [&]() { return Network(config_, std::vector<int64_t>{in_}, 0); };
  Network main = path();
  torch::nn::Sequential first = seq({torch::nn::AnyModule(conv1), torch::nn::AnyModule(bn1)});
  for (const auto& m : *act1) first->push_back(copy_any(m));
  main->add_stage("conv1", "conv", first);
  main->add_stage("conv2", "conv", seq({torch::nn::AnyModule(conv2), torch::nn::AnyModule(bn2)}));
  Network projection(nullptr);
  if (shortcut) {
    projection = path();
    projection->add_stage("shortcut", "conv", copy_sequential(shortcut));
  }
  PathBlock out(main, projection, copy_sequential(act2));
  out->train(is_training());
  return out;
}

void build_resnet(NetworkImpl& net, int64_t stem, const std::vector<int64_t>& widths, int blocks_per_stage) {
  StageBuilder b(net, net.config());
  WeightQuant wq{net.config().weight_bits, 1.0, net.config().learnable_clip};
  b.conv("conv0", b.scaled(stem), 3, 1, 1, true);
  for (size_t s = 0; s < widths.size(); ++s) {
    for (int k = 0; k < blocks_per_stage; ++k) {
      int64_t stride = (s > 0 && k == 0) ? 2 : 1;
      std::vector<int64_t> in = b.shape();
      int64_t out = b.scaled(widths[s]);
      int64_t h = (in[1] - 1) / stride + 1, w = (in[2] - 1) / stride + 1;
      const std::string name = "block" + std::to_string(s + 1) + "_" + std::to_string(k);
      const bool projection = stride != 1 || in[0] != out;
      const double weights = 9.0 * in[0] * out + 9.0 * out * out + (projection ? double(in[0]) * out : 0.0);
      b.reserve(name, weights + (projection ? 6.0 : 4.0) * out, weights * h * w);  // + BN affine
      b.custom(name, "block", torch::nn::Sequential(BasicBlock(in[0], out, stride, net.config(), wq)), {out, h, w});
    }
  }
  int64_t channels = b.shape()[0];
  b.custom("avgpool", "pool", torch::nn::Sequential(torch::nn::AdaptiveAvgPool2d(1), torch::nn::Flatten()), {channels});
  b.linear("fc", net.num_classes(), false, false);
}

}  // namespace

void build_resnet20(NetworkImpl& net) { build_resnet(net, 16, {16, 32, 64}, 3); }
void build_resnet18(NetworkImpl& net) { build_resnet(net, 64, {64, 128, 256, 512}, 2); }

}  // namespace faultscape
