// TorchScript networks built in C++ the way torch.jit.script / torch.jit.trace export PyTorch
// layers (one child module per layer, its forward one ATen operation on its own weight and bias),
// for tests and benchmarks that must not depend on a Python installation.
#pragma once
#include <torch/script.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace faultscape::test {

class ScriptBuilder {
 public:
  explicit ScriptBuilder(std::string name) : top_("__torch__." + name) {}

  void conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0) {
    torch::jit::Module m(unique("Conv2d"));
    const double bound = 1.0 / std::sqrt(static_cast<double>(in * kernel * kernel));
    m.register_parameter("weight", (torch::rand({out, in, kernel, kernel}) * 2 - 1) * bound, false);
    m.register_parameter("bias", (torch::rand({out}) * 2 - 1) * bound, false);
    const std::string s = std::to_string(stride), p = std::to_string(padding);
    m.define("def forward(self, x):\n  return torch.conv2d(x, self.weight, self.bias, [" + s + ", " + s + "], [" + p +
             ", " + p + "], [1, 1], 1)\n");
    add(m);
  }
  void linear(int64_t in, int64_t out) {
    torch::jit::Module m(unique("Linear"));
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    m.register_parameter("weight", (torch::rand({out, in}) * 2 - 1) * bound, false);
    m.register_parameter("bias", (torch::rand({out}) * 2 - 1) * bound, false);
    m.define("def forward(self, x):\n  return torch.linear(x, self.weight, self.bias)\n");
    add(m);
  }
  void batch_norm(int64_t channels) {
    torch::jit::Module m(unique("BatchNorm2d"));
    m.register_parameter("weight", torch::rand({channels}) + 0.5, false);
    m.register_parameter("bias", torch::rand({channels}) - 0.5, false);
    m.register_buffer("running_mean", torch::rand({channels}) - 0.5);
    m.register_buffer("running_var", torch::rand({channels}) + 0.5);
    m.define(
        "def forward(self, x):\n  return torch.batch_norm(x, self.weight, self.bias, self.running_mean, "
        "self.running_var, False, 0.1, 1e-05, False)\n");
    add(m);
  }
  // An element-wise or per-channel operation without parameters, e.g. "torch.relu(x)".
  void op(const std::string& name, const std::string& expression) {
    torch::jit::Module m(unique(name));
    m.define("def forward(self, x):\n  return " + expression + "\n");
    add(m);
  }

  // The network (forward = the children in order), e.g. to nest it in another module.
  torch::jit::Module finish() {
    std::string body = "def forward(self, x):\n";
    for (const auto& c : children_) body += "  x = self." + c + ".forward(x)\n";
    body += "  return x\n";
    top_.define(body);
    return top_;
  }
  // Saves it like torch.jit.save.
  void save(const std::string& path) { finish().save(path); }

 private:
  std::string unique(const std::string& type) { return "__torch__." + type + std::to_string(children_.size()); }
  void add(torch::jit::Module& m) {
    children_.push_back("l" + std::to_string(children_.size()));
    top_.register_module(children_.back(), m);
  }

  torch::jit::Module top_;
  std::vector<std::string> children_;
};

// The README's "bring your own model" CNN: conv(1->32,3)-ReLU-maxpool, conv(32->64,3)-ReLU-maxpool,
// conv(64->64,3)-ReLU, flatten, fc(576->128)-ReLU-fc(128->10) for 1x28x28 inputs (130k parameters).
inline void save_script_cnn(const std::string& path, uint64_t seed = 1) {
  torch::manual_seed(seed);
  ScriptBuilder b("Cnn");
  b.conv(1, 32, 3);
  b.op("ReLU", "torch.relu(x)");
  b.op("MaxPool2d", "torch.max_pool2d(x, [2, 2], [2, 2], [0, 0], [1, 1], False)");
  b.conv(32, 64, 3);
  b.op("ReLU", "torch.relu(x)");
  b.op("MaxPool2d", "torch.max_pool2d(x, [2, 2], [2, 2], [0, 0], [1, 1], False)");
  b.conv(64, 64, 3);
  b.op("ReLU", "torch.relu(x)");
  b.op("Flatten", "torch.flatten(x, 1)");
  b.linear(576, 128);
  b.op("ReLU", "torch.relu(x)");
  b.linear(128, 10);
  b.save(path);
}

}  // namespace faultscape::test
