// Training throughput (images/s) of the trainer's real loop on Fashion-MNIST:
//   lenet5 float (batch 64, Adam, cross entropy) and FINN's CNV W1A1 / W2A2 (batch 100, Adam,
//   squared hinge), each over a fixed number of batches after a warm-up.
// --fat: the cost of fault-aware training: cnv W1A2 (the FAT study's network) trained plainly (SAT),
//   with FAT method 1 (every injection layer on, p = 0.1) and method 2 (one layer per epoch), the
//   three interleaved round after round so that machine noise hits them alike; the ratio of the
//   median ms/batch of each FAT method to SAT's is printed (the target: <= 1.15).
// --device cuda (or cuda:N, auto): the same loop on a GPU, the training set moved there once; each
//   step is timed to its completion on the device (synchronised), and the single-thread comparison
//   is skipped. resnet20 and cnv-float (float cnv) are the rows compared with PyTorch's own loop
//   (bench/gpu/reference.py) on the same card.
// Every configuration runs with the requested thread count and, for comparison in the same
// process, with one intra-op thread (the allocator tuning of tune_process() applies to both: it
// cannot be undone honestly in-process). Prints a table and one JSON line (the last line).
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/device.h"
#include "runtime/runtime.h"
#include "data/dataset.h"
#include "ftt/training_variants.h"
#include "models/zoo.h"
#include "train/trainer.h"

using namespace faultscape;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
  std::string label;
  ModelConfig model;
  int64_t batch_size;
  std::string loss;
  FatConfig fault_aware = {};  // method 0 = plain training
};

struct Measurement {
  std::string label;
  int64_t batch_size = 0;
  int threads = 0;
  int64_t batches = 0;
  double seconds = 0;
  double images_per_second = 0;
  double ms_per_batch = 0;
  double final_loss = 0;
};

ModelConfig model(const std::string& name, int bits) {
  ModelConfig m;
  m.name = name;
  m.weight_bits = bits;
  m.act_bits = bits;
  return m;
}

// One epoch of train_network over exactly warmup + batches batches; the clock runs from the end of
// the last warm-up step to the end of the last step (the trainer's after_step hook).
Measurement measure(const Config& c, const DatasetSplit& full, int threads, int64_t warmup, int64_t batches) {
  Measurement m;
  m.label = c.label;
  m.batch_size = c.batch_size;
  m.threads = set_threads(threads);
  m.batches = batches;

  const int64_t n = (warmup + batches) * c.batch_size;
  if (full.train.size() < n)
    throw DataError("the training set has " + std::to_string(full.train.size()) + " images, the benchmark needs " +
                    std::to_string(n));
  DatasetSplit data;
  data.train = full.train;
  data.train.images = full.train.images.narrow(0, 0, n);
  data.train.labels = full.train.labels.narrow(0, 0, n);
  // data.test stays empty: the trainer then skips the end-of-epoch evaluation.

  TrainConfig t;
  t.epochs = 1;
  t.batch_size = c.batch_size;
  t.optimizer = "adam";
  t.lr = 1e-3;
  t.loss = c.loss;
  t.seed = 1;
  t.fault_aware = c.fault_aware;
  seed_everything(t.seed);
  Network net = build_network(c.model, data.train.image_shape(), data.train.num_classes);
  const c10::Device device = compute_device();
  net->to(device);

  std::vector<Clock::time_point> step_end;
  step_end.reserve(static_cast<size_t>(warmup + batches));
  TrainContext ctx;
  TrainingVariants variants(net, t);  // FAT's injection layers, exactly as a project run attaches them
  variants.install(ctx.hooks);
  net->to(device);
  auto chained = ctx.hooks.after_step;
  ctx.hooks.after_step = [&, chained](Network& n) {
    if (chained) chained(n);
    synchronize(device);  // a GPU step ends when its kernels have run, not when they are queued
    step_end.push_back(Clock::now());
  };
  TrainResult r = train_network(net, data, t, ctx);
  variants.finish();
  if (static_cast<int64_t>(step_end.size()) != warmup + batches)
    throw Error("expected " + std::to_string(warmup + batches) + " steps, saw " + std::to_string(step_end.size()));
  // With no warm-up the first interval starts at the first step's end: one batch fewer is timed.
  const size_t first = warmup > 0 ? static_cast<size_t>(warmup - 1) : 0;
  const int64_t timed = warmup > 0 ? batches : batches - 1;
  m.seconds = std::chrono::duration<double>(step_end.back() - step_end[first]).count();
  m.images_per_second = m.seconds > 0 ? timed * c.batch_size / m.seconds : 0;
  m.ms_per_batch = timed > 0 ? 1000.0 * m.seconds / timed : 0;
  m.final_loss = r.epochs.back().loss;
  return m;
}

nlohmann::json to_json(const Measurement& m) {
  return {{"config", m.label},
          {"batch_size", m.batch_size},
          {"threads", m.threads},
          {"batches", m.batches},
          {"seconds", m.seconds},
          {"images_per_second", m.images_per_second},
          {"ms_per_batch", m.ms_per_batch}};
}

void print_row(const Measurement& m, const char* note) {
  std::printf("%-16s %6lld %8d %8lld %12.1f %12.2f  %s\n", m.label.c_str(), static_cast<long long>(m.batch_size),
              m.threads, static_cast<long long>(m.batches), m.images_per_second, m.ms_per_batch, note);
  std::fflush(stdout);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]));
}

// SAT, FAT method 1 and FAT method 2 on cnv W1A2 of the given width, interleaved for `rounds`.
nlohmann::json fat_overhead(const DatasetSplit& data, int threads, int64_t warmup, int64_t batches, int rounds,
                            double width) {
  ModelConfig m = model("cnv", 1);
  m.act_bits = 2;
  m.width = width;
  FatConfig m1, m2;
  m1.method = 1, m2.method = 2;
  m1.p = m2.p = 0.1;
  const std::vector<Config> variants = {{"sat", m, 100, "squared_hinge"},
                                        {"fat-method1", m, 100, "squared_hinge", m1},
                                        {"fat-method2", m, 100, "squared_hinge", m2}};
  std::vector<std::vector<double>> ms(variants.size());
  std::printf("\nFAT overhead: cnv W1A2 width %.2f, batch 100, %d interleaved rounds of %lld batches\n", width, rounds,
              static_cast<long long>(batches));
  for (int r = 0; r < rounds; ++r)
    for (size_t v = 0; v < variants.size(); ++v)
      ms[v].push_back(measure(variants[v], data, threads, warmup, batches).ms_per_batch);
  const double sat = median(ms[0]);
  nlohmann::json out = nlohmann::json::array();
  std::printf("%-16s %14s %10s\n", "training", "median ms/batch", "vs SAT");
  for (size_t v = 0; v < variants.size(); ++v) {
    const double med = median(ms[v]);
    std::printf("%-16s %14.2f %9.3fx\n", variants[v].label.c_str(), med, sat > 0 ? med / sat : 0);
    out.push_back({{"training", variants[v].label},
                   {"ms_per_batch", ms[v]},
                   {"median_ms_per_batch", med},
                   {"ratio_vs_sat", sat > 0 ? med / sat : 0}});
  }
  return {{"model", "cnv-w1a2"}, {"width", width}, {"rounds", rounds}, {"variants", out}};
}

}  // namespace

int main(int argc, char** argv) {
  tune_process();  // before the first tensor is allocated

  CLI::App app{"bench_training: training throughput of the model zoo on Fashion-MNIST"};
  int threads = 0;
  int64_t batches = 20, warmup = 3;
  bool compare = true;
  std::string data_path;
  std::vector<std::string> only;
  app.add_option("--threads", threads, "intra-op threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  app.add_option("--batches", batches, "timed batches per configuration")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "untimed batches before them")->check(CLI::NonNegativeNumber);
  app.add_option("--data-path", data_path, "Fashion-MNIST directory (default: the installed one)");
  std::string device_setting = "cpu";
  app.add_option("--device", device_setting, "cpu (default), auto, cuda or cuda:N");
  bool deterministic = false;
  app.add_flag("--deterministic", deterministic,
               "LibTorch's deterministic algorithms (the project's \"deterministic\")");
  app.add_option("--only", only,
                 "configurations to run: lenet5, cnv-w1a1, cnv-w2a2, cnv-float, resnet20 (none: only the --fat "
                 "comparison)");
  app.add_flag("!--no-compare", compare, "skip the single-thread comparison");
  int fat_rounds = 0;
  double fat_width = 0.25;
  app.add_option("--fat", fat_rounds, "also time SAT vs FAT methods 1 and 2 on cnv W1A2, this many interleaved rounds");
  app.add_option("--fat-width", fat_width, "cnv width multiplier of the FAT comparison (the study's: 0.25)");
  CLI11_PARSE(app, argc, argv);

  std::vector<Config> configs = {{"lenet5", model("lenet5", 0), 64, "cross_entropy"},
                                 {"cnv-w1a1", model("cnv", 1), 100, "squared_hinge"},
                                 {"cnv-w2a2", model("cnv", 2), 100, "squared_hinge"},
                                 {"cnv-float", model("cnv", 0), 100, "squared_hinge"},
                                 {"resnet20", model("resnet20", 0), 128, "cross_entropy"}};
  // Without --only: the rows measured before GPUs were in play (the CPU bench's usual set).
  if (only.empty()) configs.resize(3);
  if (!only.empty()) {
    std::vector<Config> picked;
    for (const auto& c : configs)
      for (const auto& o : only)
        if (c.label == o) picked.push_back(c);
    if (picked.empty() && !(fat_rounds > 0 && only == std::vector<std::string>{"none"})) {
      std::fprintf(stderr,
                   "error: --only: no configuration named so (lenet5, cnv-w1a1, cnv-w2a2, cnv-float, resnet20; none "
                   "with --fat)\n");
      return 2;
    }
    configs = picked;
  }

  try {
    const int tuned_threads = set_threads(threads);
    const c10::Device device = resolve_device(device_setting);
    use_device(device);
    set_deterministic(deterministic);
    DatasetConfig dc;  // Fashion-MNIST, normalised
    dc.path = data_path;
    int64_t needed = 0;
    for (const auto& c : configs) needed = std::max(needed, (warmup + batches) * c.batch_size);
    if (fat_rounds > 0) needed = std::max(needed, (warmup + batches) * 100);
    dc.train_limit = needed;
    dc.test_limit = 1;
    auto load_start = Clock::now();
    DatasetSplit data = load_dataset(dc);
    data.train.images = data.train.images.to(device), data.train.labels = data.train.labels.to(device);
    double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();

    std::printf("Faultscape training throughput: %s, LibTorch %s, %d hardware threads\n", code_version().c_str(),
                torch_version().c_str(), hardware_threads());
    std::printf("Fashion-MNIST: %lld training images loaded in %.2f s; %lld timed batches after %lld warm-up, Adam\n\n",
                static_cast<long long>(data.train.size()), load_s, static_cast<long long>(batches),
                static_cast<long long>(warmup));
    std::printf("%-16s %6s %8s %8s %12s %12s\n", "config", "batch", "threads", "batches", "images/s", "ms/batch");

    const bool do_compare = compare && tuned_threads > 1 && device.is_cpu();
    if (!device.is_cpu()) std::printf("device %s (%s)\n", device.str().c_str(), device_name(device).c_str());
    nlohmann::json results = nlohmann::json::array();
    for (const auto& c : configs) {
      Measurement tuned = measure(c, data, tuned_threads, warmup, batches);
      print_row(tuned, "");
      nlohmann::json entry = to_json(tuned);
      if (do_compare) {
        Measurement single = measure(c, data, 1, warmup, batches);
        double ratio = single.images_per_second > 0 ? tuned.images_per_second / single.images_per_second : 0;
        char note[64];
        std::snprintf(note, sizeof note, "(%d threads: %.2fx)", tuned.threads, ratio);
        print_row(single, note);
        entry["single_thread_images_per_second"] = single.images_per_second;
        entry["speedup_vs_single_thread"] = ratio;
      }
      results.push_back(entry);
    }
    nlohmann::json fat;
    if (fat_rounds > 0) fat = fat_overhead(data, tuned_threads, warmup, batches, fat_rounds, fat_width);
    set_threads(tuned_threads);
    std::printf("\n");
    nlohmann::json j = {{"bench", "training"},
                        {"dataset", "fashion-mnist"},
                        {"threads", tuned_threads},
                        {"hardware_threads", hardware_threads()},
                        {"warmup_batches", warmup},
                        {"timed_batches", batches},
                        {"code_version", code_version()},
                        {"torch_version", torch_version()},
                        {"device", device_record(device)},
                        {"results", results}};
    if (!fat.is_null()) j["fat_overhead"] = fat;
    std::printf("%s\n", j.dump().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
