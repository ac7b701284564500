#include "cli/options.h"

#include <cctype>
#include <cstdio>

#include "runtime/device.h"
#include "runtime/runtime.h"

namespace faultscape::cli {
namespace {

// "float" stays a string, "4" becomes the number 4 (the project file's form). Digits too many
// for an int stay text, so the config reader names the field and the value instead of stoi
// throwing out_of_range.
nlohmann::json bits_value(const std::string& v) {
  bool digits =
      !v.empty() && v.size() <= 9 && std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); });
  return digits ? nlohmann::json(std::stoi(v)) : nlohmann::json(v);
}

template <typename T>
void set_field(CLI::App& cmd, const std::string& flag, nlohmann::json& target, const char* object, const char* key,
               const std::string& help) {
  cmd.add_option_function<T>(
      flag, [&target, object, key](const T& v) { target[object][key] = v; }, help);
}

}  // namespace

void add_global_options(CLI::App& app, GlobalOptions& o) {
  app.add_option("--threads", o.threads, "LibTorch intra-op threads (0 = all cores, at most 1024)")
      ->check(CLI::Range(0, 1024));
  app.add_option("--device", o.device,
                 "where to compute: auto (CUDA when available, else the CPU), cpu, cuda or cuda:N "
                 "(default: the project's \"device\", else auto)")
      ->check([](const std::string& s) {
        return valid_device_setting(s) ? std::string() : "expected auto, cpu, cuda or cuda:N, got \"" + s + "\"";
      });
  app.add_flag("--deterministic", o.deterministic,
               "LibTorch's deterministic algorithms (slower on CUDA; the project's \"deterministic\")");
  app.add_option("--seed", o.seed, "seed for weights, shuffling and faults (default: the project's)");
  app.add_option("--output-dir,-o", o.output_dir, "directory for the results database, models and figures");
  app.add_flag("--json", o.json, "print the results as one JSON object on the last line of stdout");
  app.add_flag("--quiet,-q", o.quiet, "no progress output");
}

void warn_threads(int threads) {
  static int warned = 0;
  if (threads > hardware_threads() && threads != warned) {
    std::fprintf(stderr, "warning: %d threads on a machine with %d cores will run slower, not faster\n", threads,
                 hardware_threads());
    warned = threads;
  }
}

void add_dataset_options(CLI::App& cmd, nlohmann::json& e) {
  set_field<std::string>(cmd, "--dataset", e, "dataset", "name",
                         "fashion-mnist | mnist | cifar10 | cifar100 | synthetic");
  set_field<std::string>(cmd, "--data-path", e, "dataset", "path", "directory of the dataset files");
  set_field<long long>(cmd, "--train-limit", e, "dataset", "train_limit", "use the first N training images");
  set_field<long long>(cmd, "--test-limit", e, "dataset", "test_limit", "use the first N test images");
  cmd.add_flag_callback(
      "--no-normalize", [&e] { e["dataset"]["normalize"] = false; }, "keep pixels in [0, 1]");
  cmd.add_flag_callback(
      "--augment", [&e] { e["dataset"]["augment"] = true; }, "random crop + flip (CIFAR)");
}

void add_model_options(CLI::App& cmd, nlohmann::json& e) {
  set_field<std::string>(cmd, "--model", e, "model", "name",
                         "mlp | lenet5 | cnv | vgg11 | vgg16 | alexnet | resnet20 | resnet18");
  cmd.add_option_function<std::string>(
      "--weight-bits", [&e](const std::string& v) { e["model"]["weight_bits"] = bits_value(v); }, "1-8 or float");
  cmd.add_option_function<std::string>(
      "--act-bits", [&e](const std::string& v) { e["model"]["act_bits"] = bits_value(v); }, "1-8 or float");
  cmd.add_option_function<std::string>(
      "--torchscript",
      [&e](const std::string& v) {
        e["model"]["name"] = "torchscript";
        e["model"]["file"] = v;
      },
      "import this TorchScript file (torch.jit.script / torch.jit.trace) as the model");
  set_field<double>(cmd, "--width", e, "model", "width", "channel width multiplier");
  set_field<double>(cmd, "--act-clip", e, "model", "act_clip", "clipping bound of the activation quantizers");
  cmd.add_flag_callback(
      "--learnable-clip", [&e] { e["model"]["learnable_clip"] = true; }, "train the clipping bounds");
}

void add_training_options(CLI::App& cmd, nlohmann::json& e) {
  set_field<int>(cmd, "--epochs", e, "training", "epochs", "training epochs (0 = use the model as it is)");
  set_field<long long>(cmd, "--batch-size", e, "training", "batch_size", "training batch size");
  set_field<std::string>(cmd, "--optimizer", e, "training", "optimizer", "adam | sgd");
  set_field<double>(cmd, "--lr", e, "training", "lr", "learning rate");
  set_field<double>(cmd, "--momentum", e, "training", "momentum", "SGD momentum");
  set_field<double>(cmd, "--weight-decay", e, "training", "weight_decay", "weight decay");
  set_field<int>(cmd, "--lr-halve-every", e, "training", "lr_halve_every", "halve the learning rate every N epochs");
  set_field<std::string>(cmd, "--loss", e, "training", "loss", "cross_entropy | squared_hinge");
  set_field<std::string>(cmd, "--save", e, "training", "checkpoint", "where to save the trained model");
}

}  // namespace faultscape::cli
