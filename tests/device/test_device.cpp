// The engine on the device under test against the CPU, without Qt (GPU servers have none):
// FAULTSCAPE_TEST_DEVICE names the device ("auto" by default: the first CUDA GPU, else the CPU).
// The same projects run on the CPU and on that device, on the same model file: campaigns must draw
// the same faults (pairing key, stored fault parameters) and agree trial by trial to within 0.5
// accuracy points (5 of 1000 test images: GPU kernels round differently, so an image near a decision
// boundary may flip); word-level fault edits must equal the host's bit for bit; every training
// variant, protection scheme and the pruning path must run there. Without a GPU the device is the
// CPU and the comparisons are exact; the output says so.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "faults/number_format.h"
#include "faults/word_edits.h"
#include "models/model_io.h"
#include "project/project.h"
#include "prune/vulnerability.h"
#include "runtime/device.h"
#include "runtime/runtime.h"
#include "store/result_store.h"
#include "study/experiment_runner.h"
#include "train/evaluate.h"
#include "train/foreach_adam.h"

using namespace faultscape;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

int failures = 0, checks = 0;

void check(bool ok, const std::string& what) {
  ++checks;
  if (!ok) ++failures;
  std::printf("  %s %s\n", ok ? "ok  " : "FAIL", what.c_str());
}

std::string tmp_dir(const std::string& name) {
  const fs::path dir = fs::path(FAULTSCAPE_TEST_TMP) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// A small learnable problem: 512 training and 1000 test images of the seeded synthetic dataset.
json experiment(const std::string& name) {
  return {{"name", name},
          {"dataset", {{"name", "synthetic"}, {"synthetic", {{"train", 512}, {"test", 1000}}}}},
          {"model", {{"name", "lenet5"}, {"weight_bits", "float"}, {"act_bits", "float"}}},
          {"training", {{"epochs", 1}, {"batch_size", 64}, {"optimizer", "adam"}, {"lr", 0.002}}}};
}

struct Ran {
  ExperimentOutcome out;
  std::vector<TrialRow> trials;
};

Ran run_on(const json& exp, const std::string& device, const std::string& dir) {
  json doc = {{"name", "device-test"}, {"seed", 3},         {"threads", 0},
              {"device", device},      {"output_dir", dir}, {"experiments", json::array({exp})}};
  Project project = parse_project(doc, "test_device");
  set_threads(project.threads);
  ResultStore store(project.database_path());
  RunControl control;
  control.retrain = true;
  Ran r;
  r.out = run_experiment(project, project.experiments.front(), store, control);
  if (r.out.campaign_run) r.trials = store.trials(r.out.campaign_run);
  return r;
}

// The same campaign on both devices: same faults, results within 0.5 points trial by trial.
void compare(const std::string& name, const Ran& cpu, const Ran& dev) {
  check(!cpu.trials.empty() && cpu.trials.size() == dev.trials.size(),
        name + ": " + std::to_string(cpu.trials.size()) + " trials on both devices");
  check(cpu.out.campaign.value("pairing_key", "") == dev.out.campaign.value("pairing_key", "") &&
            !cpu.out.campaign.value("pairing_key", "").empty(),
        name + ": the same pairing key");
  size_t same_faults = 0, exact = 0;
  double worst = 0;
  for (size_t i = 0; i < std::min(cpu.trials.size(), dev.trials.size()); ++i) {
    same_faults += cpu.trials[i].trial == dev.trials[i].trial && cpu.trials[i].params == dev.trials[i].params &&
                   cpu.trials[i].metrics.value("faults", -2) == dev.trials[i].metrics.value("faults", -2);
    const double d = std::abs(cpu.trials[i].accuracy - dev.trials[i].accuracy);
    exact += d == 0;
    worst = std::max(worst, d);
  }
  check(same_faults == cpu.trials.size(), name + ": the same stored faults in every trial");
  char line[160];
  std::snprintf(line, sizeof line, "%s: %zu of %zu trials agree exactly, worst difference %.2f points (<= 0.5)",
                name.c_str(), exact, cpu.trials.size(), worst);
  check(worst <= 0.5, line);
}

// Word edits on the device against NumberFormat's scalar functions on the host, for every format.
void word_edits_match_the_host(const c10::Device& device) {
  std::printf("word-level fault edits on %s\n", device.str().c_str());
  std::mt19937_64 rng(7);
  for (const char* name : {"fp32", "fp16", "bf16", "int8", "int4", "int1"}) {
    const NumberFormat f = NumberFormat::parse(name);
    const double scale = f.kind == NumberFormat::Kind::Int ? 0.05 : 1.0;
    torch::manual_seed(5);
    torch::Tensor host = torch::randn({4096}) * 3;
    host[0] = 0.0f, host[1] = -0.0f, host[2] = 1e30f, host[3] = -1e-30f;
    std::vector<WordEdit> edits;
    std::uniform_int_distribution<int64_t> at(0, host.numel() - 1);
    std::uniform_int_distribution<uint32_t> bits(0, 0xffffffffu);
    for (int k = 0; k < 600; ++k) {
      WordEdit e{at(rng)};
      const int kind = k % 4;
      if (kind == 0) e.flip = bits(rng) & f.word_mask();
      if (kind == 1) e.flip = 1u << (k % f.bits);
      if (kind == 2) e.ones = bits(rng) & f.word_mask() & 0x0f0fu, e.zeros = bits(rng) & f.word_mask() & 0xf0f0u;
      if (kind == 3) e.replace = true, e.value = static_cast<float>(k) / 7, e.flip = (k & 1) ? f.sign_mask() : 0;
      edits.push_back(e);
    }
    edits = merge_word_edits(edits);
    torch::Tensor expected = host.clone();
    float* p = expected.data_ptr<float>();
    for (const WordEdit& e : edits) {
      float v = e.replace ? e.value : p[e.index];
      if (e.flip) v = f.flip(v, e.flip, scale);
      if (e.ones || e.zeros) v = f.force(v, e.ones, e.zeros, scale);
      p[e.index] = v;
    }
    torch::Tensor on_device = host.to(device);
    WordUndo undo = apply_word_edits(on_device, edits, f, scale);
    torch::Tensor got = on_device.cpu();
    int64_t differ = 0;
    const float* g = got.data_ptr<float>();
    for (int64_t i = 0; i < got.numel(); ++i)
      differ += !(std::memcmp(&g[i], &p[i], 4) == 0 || (std::isnan(g[i]) && std::isnan(p[i])));
    check(differ == 0, std::string(name) + ": " + std::to_string(edits.size()) + " edited words equal the host's (" +
                           std::to_string(differ) + " differ)");
    undo_word_edits(on_device, undo);
    check(torch::equal(on_device.cpu(), host), std::string(name) + ": undo restores every word exactly");
  }
}

// The multi-tensor Adam the trainer uses on a GPU against torch::optim::Adam, step by step.
void foreach_adam_matches_adam(const c10::Device& device) {
  std::printf("multi-tensor Adam on %s\n", device.str().c_str());
  torch::manual_seed(11);
  std::vector<torch::Tensor> a, b;
  for (auto shape : {std::vector<int64_t>{16, 8, 3, 3}, {16}, {10, 64}, {10}}) {
    a.push_back(torch::randn(shape).to(device).requires_grad_());
    b.push_back(a.back().detach().clone().requires_grad_());
  }
  const auto options = torch::optim::AdamOptions(0.01).weight_decay(0.001);
  torch::optim::Adam reference(a, options);
  ForeachAdam fast(b, options);
  for (int step = 0; step < 5; ++step) {
    for (size_t i = 0; i < a.size(); ++i) {
      torch::Tensor g = torch::randn(a[i].sizes()).to(device);
      a[i].mutable_grad() = g.clone();
      // the third step skips the first parameter, as a skipped fault-injection step leaves it
      b[i].mutable_grad() = step == 2 && i == 0 ? torch::Tensor() : g.clone();
      if (step == 2 && i == 0) a[i].mutable_grad() = torch::Tensor();
    }
    reference.step();
    fast.step();
  }
  // float32 updates of O(1e-2) over five steps: rounding differences stay far below 1e-5 relative
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, ((a[i] - b[i]).abs() / (a[i].abs() + 1e-3)).max().item<double>());
  check(worst <= 1e-5, "after 5 steps (one skipping a parameter) the parameters agree to " + std::to_string(worst));
}

}  // namespace

int main(int argc, char** argv) {
  tune_process();
  // cuBLAS reads its workspace setting when CUDA starts: the deterministic check at the end needs it.
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  const char* env = std::getenv("FAULTSCAPE_TEST_DEVICE");
  const std::string setting = env && *env ? env : "auto";
  c10::Device device(c10::kCPU);
  try {
    device = resolve_device(setting);
  } catch (const std::exception& e) {
    std::printf("test_device: %s\n", e.what());
    return 1;
  }
  const std::string name = device_name(device);
  std::printf("test_device: device under test %s%s, LibTorch %s\n", device.str().c_str(),
              name.empty() ? "" : (" (" + name + ")").c_str(), torch_version().c_str());
  if (device.is_cpu())
    std::printf(
        "test_device: CUDA tests skipped: no CUDA GPU visible to LibTorch %s; the device under test is the "
        "CPU, so every comparison below is CPU against CPU\n",
        torch_version().c_str());
  const std::string dev = device.str();
  // Arguments name the sections to run (words, adam, campaigns, training, vulnerability, deterministic).
  auto wanted = [&](const char* section) {
    if (argc < 2) return true;
    for (int i = 1; i < argc; ++i)
      if (std::strcmp(argv[i], section) == 0) return true;
    return false;
  };
  try {
    if (wanted("words")) word_edits_match_the_host(device);
    if (wanted("adam")) foreach_adam_matches_adam(device);

    // One model, trained on the CPU; every campaign loads it on both devices.
    const std::string root = tmp_dir("device");
    Ran trained = run_on(experiment("plain"), "cpu", root + "/train");
    const std::string model = trained.out.model_path;
    check(fs::exists(model), "trained on the CPU: " + model);

    auto campaign = [&](const std::string& label, json faults, json camp, json protection = json::array()) {
      json e = experiment(label);
      e["load"] = model;
      e["faults"] = std::move(faults);
      e["campaign"] = std::move(camp);
      if (!protection.empty()) e["protection"] = std::move(protection);
      Ran cpu = run_on(e, "cpu", root + "/cpu");
      Ran on = run_on(e, dev, root + "/dev");
      check(std::abs(cpu.out.evaluation.accuracy - on.out.evaluation.accuracy) <= 0.5,
            label + ": golden accuracy " + std::to_string(cpu.out.evaluation.accuracy) + " vs " +
                std::to_string(on.out.evaluation.accuracy));
      compare(label, cpu, on);
      return on;
    };
    if (wanted("campaigns")) {
      std::printf("campaigns, CPU against %s, on one model file\n", dev.c_str());
      const json stuck = {
          {"kind", "stuck_at"}, {"target", "activations"}, {"granularity", "channel"}, {"stuck_values", {0, 1}}};
      campaign("stuck channels (delta path)", stuck, {{"kind", "stuck_sweep"}, {"batch_size", 250}});
      json pixel = stuck;
      pixel["granularity"] = "pixel";
      pixel["layers"] = {"conv1"};
      campaign("stuck pixels (prefix path)", pixel, {{"kind", "stuck_sweep"}, {"batch_size", 500}});
      const json flips = {
          {"kind", "bitflip"}, {"target", "weights"}, {"format", "fp32"}, {"tensors", {"weight", "bias"}}};
      const json ber = {{"kind", "ber_sweep"}, {"bers", {1e-4, 1e-3}}, {"trials", 6}, {"seed", 11}};
      campaign("fp32 weight bit flips", flips, ber);
      campaign("fp16 weight bit flips", {{"kind", "bitflip"}, {"target", "weights"}, {"format", "fp16"}}, ber);
      campaign("weight stuck bits", {{"kind", "stuck_bits"}, {"target", "weights"}, {"format", "fp32"}}, ber);
      campaign("weight noise", {{"kind", "gaussian_noise"}, {"target", "weights"}},
               {{"kind", "ber_sweep"}, {"bers", {0.05}}, {"trials", 4}, {"seed", 3}});
      campaign("activation bit flips", {{"kind", "bitflip"}, {"target", "activations"}, {"format", "fp32"}},
               {{"kind", "ber_sweep"}, {"bers", {1e-5, 1e-4}}, {"trials", 4}, {"seed", 5}});
      campaign("activation noise", {{"kind", "gaussian_noise"}, {"target", "activations"}},
               {{"kind", "ber_sweep"}, {"bers", {0.1}}, {"trials", 3}, {"seed", 5}});
      for (const json& scheme :
           {json{{"scheme", "tmr"}}, json{{"scheme", "edac"}, {"ratio", 0.5}}, json{{"scheme", "abft"}},
            json{{"scheme", "ranger"}}, json{{"scheme", "clipact"}}, json{{"scheme", "replicate"}, {"k", 8}}})
        campaign("protection " + scheme["scheme"].get<std::string>(), flips, ber, json::array({scheme}));
    }

    // Training variants on the device: they run, give finite losses, and their model files load
    // on the CPU with the accuracy measured on the device.
    if (wanted("training")) {
      std::printf("training on %s\n", dev.c_str());
      const std::vector<std::pair<std::string, json>> variants = {
          {"plain", json::object()},
          {"fault-aware",
           {{"fault_aware", {{"method", 1}, {"p", 0.1}, {"granularity", "channel"}, {"stuck_values", {0}}}}}},
          {"dropout2d", {{"dropout", {{"kind", "dropout2d"}, {"p", 0.1}}}}},
          {"learned-threshold", {{"learned_threshold", {{"granularity", "channel"}, {"profile_images", 256}}}}},
          {"quant-bound",
           {{"quant_bound", {{"lambda", 0.01}}}, {"model", {{"act_bits", 4}, {"learnable_clip", true}}}}},
          {"bitflip-training", {{"bitflip_training", {{"ber", 1e-5}, {"format", "fp32"}}}}},
          {"saturating-weights", {{"saturating_weights", {{"function", "tanh"}, {"factor", 1.5}}}}},
          {"subnetwork",
           {{"subnetwork", {{"layers", {"block1_1"}}}}, {"model", {{"name", "resnet20"}, {"width", 0.25}}}}}};
      for (const auto& [label, extra] : variants) {
        json e = experiment("train-" + label);
        json training = extra;
        if (training.contains("model")) e["model"].update(training["model"]), training.erase("model");
        e["training"].update(training);
        Ran r = run_on(e, dev, root + "/variants");
        const double loss = r.out.training.epochs.empty() ? NAN : r.out.training.epochs.back().loss;
        check(std::isfinite(loss) && std::isfinite(r.out.evaluation.accuracy),
              label + ": trained on " + dev + ", loss " + std::to_string(loss) + ", accuracy " +
                  std::to_string(r.out.evaluation.accuracy) + " %");
        use_device(c10::Device(c10::kCPU));
        Network back = load_network(r.out.model_path, {1, 28, 28}, 10);
        DatasetConfig dc;
        dc.name = "synthetic";
        dc.synthetic_train = 512, dc.synthetic_test = 1000, dc.seed = 3;
        const double host_accuracy = evaluate(back, load_dataset(dc).test, 250).accuracy;
        check(std::abs(host_accuracy - r.out.evaluation.accuracy) <= 0.5,
              label + ": its model file evaluates on the CPU to " + std::to_string(host_accuracy) + " %");
      }
    }

    // Channel vulnerability (EDAC ranking, pruning) on the device against the CPU.
    if (wanted("vulnerability")) {
      std::printf("vulnerability on %s\n", dev.c_str());
      use_device(c10::Device(c10::kCPU));
      Network cpu_net = load_network(model, {1, 28, 28}, 10), dev_net = load_network(model, {1, 28, 28}, 10);
      dev_net->to(device);
      DatasetConfig dc;
      dc.name = "synthetic";
      dc.seed = 3;
      Dataset test = load_dataset(dc).test, test_dev = test;
      test_dev.images = test.images.to(device), test_dev.labels = test.labels.to(device);
      auto a = channel_vulnerability(cpu_net, test, 256, 128, {}),
           b = channel_vulnerability(dev_net, test_dev, 256, 128, {});
      double worst = 0, top = 0;
      for (size_t l = 0; l < a.size() && l < b.size(); ++l)
        for (size_t c = 0; c < a[l].score.size(); ++c)
          worst = std::max(worst, std::abs(a[l].score[c] - b[l].score[c])),
          top = std::max(top, std::abs(a[l].score[c]));
      // float32 sums of a few thousand products: relative rounding far below 1e-4 of the largest score
      check(!a.empty() && a.size() == b.size() && worst <= 1e-4 * top, "channel vulnerability: largest difference " +
                                                                           std::to_string(worst) + " of scores up to " +
                                                                           std::to_string(top));
    }

    // Deterministic algorithms: two trainings with one seed give the same weights, bit for bit.
    if (wanted("deterministic")) {
      std::printf("deterministic training on %s\n", dev.c_str());
      json doc_exp = experiment("deterministic");
      json project = {{"name", "device-test"},
                      {"seed", 3},
                      {"threads", 0},
                      {"device", dev},
                      {"deterministic", true},
                      {"output_dir", root + "/det"},
                      {"experiments", json::array({doc_exp})}};
      std::vector<torch::Tensor> weights[2];
      for (int k = 0; k < 2; ++k) {
        Project p = parse_project(project, "test_device");
        ResultStore store(p.database_path());
        RunControl control;
        control.retrain = true;
        ExperimentOutcome o = run_experiment(p, p.experiments.front(), store, control);
        use_device(c10::Device(c10::kCPU));
        for (const auto& t : load_network(o.model_path, {1, 28, 28}, 10)->parameters()) weights[k].push_back(t);
      }
      bool same = weights[0].size() == weights[1].size();
      for (size_t i = 0; same && i < weights[0].size(); ++i) same = torch::equal(weights[0][i], weights[1][i]);
      check(same, "deterministic: two trainings give identical weights");
      set_deterministic(false);
    }
  } catch (const std::exception& e) {
    std::printf("  FAIL exception: %s\n", e.what());
    ++failures;
  }
  std::printf("test_device: %d of %d checks passed on %s\n", checks - failures, checks, dev.c_str());
  return failures == 0 ? 0 : 1;
}
