// Campaign speed against the naive way, measured in one run on the same images and faults:
//   (a) a full channel stuck sweep (FAT Algorithm 1) of an imported TorchScript CNN (the README's
//       "bring your own model" network, generated here with torch::jit::Module), lenet5, cnv W1A1 and
//       resnet20 (both width 0.5);
//   (b) a BER sweep on fp32 weights of the TorchScript CNN, lenet5 and cnv (50 trials at 1e-5).
// Fast: the engine's campaigns (golden prefix cache, delta evaluation of the first layer after a
// stuck channel, fault batching, the sparse weight delta of the first faulty layer, in-place flips
// undone from a log, InferenceMode). Each row checks that fast and naive agree trial by trial.
// Naive: what a Python injector does: per fault (per trial) a copy of the model, the fault
// applied, and a full forward pass over every image. The naive rate is measured on an evenly
// spaced sample of the faults (--naive-faults) and reported per fault; the ratio compares rates.
// Networks are seeded, untrained zoo models: speed does not depend on the weights' values.
// --device cuda: everything on that GPU (images moved once, networks and the naive copies there);
// the rows then also report the device memory in use at the end (the driver's view: LibTorch's
// cache included) and the fraction of the card's fp32 peak (--peak-tflops) the fast path reaches.
// Prints a table and one JSON line (the last line).
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <cstdio>
#include <string>
#include <vector>

#include "campaign/campaign_config.h"
#include "campaign/campaigns.h"
#include "campaign/faulty_evaluator.h"
#include "campaign/trial_recorder.h"
#include "common/error.h"
#include "runtime/device.h"
#include "runtime/runtime.h"
#include "data/dataset.h"
#include "faults/activation_faults.h"
#include "faults/fault_model.h"
#include "faults/rng.h"
#include "faults/sites.h"
#include "faults/weight_faults.h"
#include "models/summary.h"
#include "models/zoo.h"
#include "script_models.h"

using namespace faultscape;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int64_t g_batch = 0;  // --batch: images per pass (0: the campaign default)

// CPU seconds of the whole process (all threads). On a shared machine wall time depends on what
// else runs; CPU time at --threads 1 does not, so the CPU-time ratio is the robust one there.
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

struct Result {
  std::string label;
  int64_t faults = 0;  // faults (stuck sweep) or trials (BER sweep) of the campaign
  int64_t images = 0;
  double fast_seconds = 0;  // the whole campaign
  double fast_cpu_seconds = 0;
  double fast_inferences_per_second = 0;
  double fast_effective_gflops = 0;
  double fast_executed_gflops = 0;  // the multiply-adds the fast path actually ran, per second
  int64_t naive_faults = 0;         // how many the naive way ran
  double naive_seconds = 0;
  double naive_cpu_seconds = 0;
  double naive_inferences_per_second = 0;
  double naive_gflops = 0;
  double speedup = 0;         // wall-time ratio
  double cpu_speedup = 0;     // CPU-time ratio
  int64_t disagreements = 0;  // sampled trials where fast and naive differ by more than one image
  nlohmann::json to_json() const {
    return {{"campaign", label},
            {"faults", faults},
            {"images", images},
            {"fast_seconds", fast_seconds},
            {"fast_faulty_inferences_per_second", fast_inferences_per_second},
            {"fast_effective_gflops", fast_effective_gflops},
            {"fast_executed_gflops", fast_executed_gflops},
            {"naive_faults_measured", naive_faults},
            {"naive_seconds", naive_seconds},
            {"naive_faulty_inferences_per_second", naive_inferences_per_second},
            {"naive_gflops", naive_gflops},
            {"speedup", speedup},
            {"cpu_speedup", cpu_speedup},
            {"agreement", disagreements == 0}};
  }
};

Network make_network(const std::string& name, int bits, const Dataset& test, double width = 1.0,
                     const std::string& file = "") {
  ModelConfig m;
  m.name = name;
  m.weight_bits = bits;
  m.act_bits = bits;
  m.width = width;
  m.file = file;
  torch::manual_seed(1);
  Network net = build_network(m, test.image_shape(), test.num_classes);
  net->to(compute_device());
  net->eval();
  return net;
}

// The naive model copy: a fresh network of the same architecture with every tensor copied.
Network copy_network(Network& net, const Dataset& test) {
  Network copy = build_network(net->config(), test.image_shape(), test.num_classes);
  copy->to(compute_device());
  torch::NoGradGuard no_grad;
  auto src = net->named_parameters(), dst = copy->named_parameters();
  for (const auto& p : src) dst[p.key()].copy_(p.value());
  auto src_b = net->named_buffers(), dst_b = copy->named_buffers();
  for (const auto& b : src_b) dst_b[b.key()].copy_(b.value());
  copy->eval();
  return copy;
}

// One full forward pass over all images, with an optional fault after stage `stage`.
double naive_accuracy(Network& net, const Dataset& test, int64_t batch, int stage = -1,
                      const StuckFault* fault = nullptr) {
  int64_t correct = 0;
  const int64_t n = test.size(), end = static_cast<int64_t>(net->size());
  for (int64_t off = 0; off < n; off += batch) {
    int64_t len = std::min(batch, n - off);
    torch::Tensor x = test.images.narrow(0, off, len);
    torch::Tensor y;
    if (fault) {
      torch::Tensor a = net->forward_range(x, 0, stage + 1);
      fault->apply(a);
      y = net->forward_range(a, stage + 1, end);
    } else {
      y = net->forward(x);
    }
    correct += y.argmax(1).eq(test.labels.narrow(0, off, len)).sum().item<int64_t>();
  }
  return 100.0 * correct / n;
}

std::vector<int64_t> evenly_spaced(int64_t total, int64_t count) {
  std::vector<int64_t> out;
  count = std::min(count, total);
  for (int64_t i = 0; i < count; ++i) out.push_back(i * total / count);
  return out;
}

void finish(Result& r, int64_t full_macs) {
  const double per_fault_fast = r.fast_seconds / r.faults, per_fault_naive = r.naive_seconds / r.naive_faults;
  r.naive_inferences_per_second = r.images / per_fault_naive;
  r.naive_gflops = 2.0 * full_macs * r.naive_inferences_per_second / 1e9;
  r.speedup = per_fault_naive / per_fault_fast;
  r.cpu_speedup = (r.naive_cpu_seconds / r.naive_faults) / (r.fast_cpu_seconds / r.faults);
}

// Runs one engine campaign (golden pass and cache included in the time) and fills the fast side
// of `r`; returns the trials it recorded.
using CampaignFn = nlohmann::json (*)(FaultyEvaluator&, const FaultModel&, const CampaignConfig&, CampaignIO&);
std::vector<TrialRow> run_fast(Result& r, Network& net, const Dataset& test, const FaultModel& f,
                               const CampaignConfig& cfg, CampaignFn campaign, int64_t full_macs) {
  r.images = test.size();
  auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  FaultyEvaluator ev(net, test.images, test.labels, cfg.batch_size, cfg.cache_mb << 20);
  TrialRecorder recorder(nullptr, 0, nullptr,
                         cfg.kind == "stuck_sweep" ? RecordKind::StuckTrial : RecordKind::BerTrial);
  CampaignIO io{recorder, nullptr, nullptr};
  const nlohmann::json summary = campaign(ev, f, cfg, io);
  r.fast_executed_gflops = summary.value("executed_gflops", 0.0);
  r.fast_seconds = since(t0);
  r.fast_cpu_seconds = cpu_seconds() - c0;
  std::vector<TrialRow> trials = recorder.all();
  r.faults = static_cast<int64_t>(trials.size());
  r.fast_inferences_per_second = r.faults * r.images / r.fast_seconds;
  r.fast_effective_gflops = 2.0 * full_macs * r.fast_inferences_per_second / 1e9;
  return trials;
}

Result stuck_sweep(const std::string& label, Network net, const Dataset& test, int64_t naive_faults) {
  torch::InferenceMode guard;
  const int64_t full_macs = summarize(net).macs;
  FaultModel f;
  f.kind = "stuck_at";
  f.target = "activations";
  f.granularity = "channel";
  CampaignConfig cfg;
  cfg.kind = "stuck_sweep";
  if (g_batch > 0) cfg.batch_size = g_batch;
  Result r;
  r.label = label;
  std::vector<TrialRow> trials = run_fast(r, net, test, f, cfg, run_stuck_sweep, full_macs);

  // The same faults, the naive way, on an evenly spaced sample of the sweep's trials.
  auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  for (int64_t i : evenly_spaced(static_cast<int64_t>(trials.size()), naive_faults)) {
    const nlohmann::json& p = trials[i].params;
    StuckFault fault{p.at("stage").get<int>(), p.at("channel").get<int64_t>(), -1, -1, p.at("value").get<double>()};
    Network copy = copy_network(net, test);
    double acc = naive_accuracy(copy, test, cfg.batch_size, fault.stage, &fault);
    if (std::abs(acc - trials[i].accuracy) > 100.0 / test.size() + 1e-9) {
      std::fprintf(stderr, "warning: %s trial %lld: naive %.2f %% vs fast %.2f %%\n", label.c_str(),
                   static_cast<long long>(trials[i].trial), acc, trials[i].accuracy);
      ++r.disagreements;
    }
    ++r.naive_faults;
  }
  r.naive_seconds = since(t0);
  r.naive_cpu_seconds = cpu_seconds() - c0;
  finish(r, full_macs);
  return r;
}

Result ber_sweep(const std::string& name, Network net, const Dataset& test, double rate, int trials,
                 int64_t naive_trials) {
  torch::InferenceMode guard;
  const int64_t full_macs = summarize(net).macs;
  FaultModel f;
  f.kind = "bitflip";
  f.target = "weights";
  f.format = "fp32";
  f.tensors = {"weight", "bias"};
  CampaignConfig cfg;
  cfg.kind = "ber_sweep";
  cfg.bers = {rate};
  cfg.trials = trials;
  if (g_batch > 0) cfg.batch_size = g_batch;
  Result r;
  char label[64];
  std::snprintf(label, sizeof label, "ber %s fp32 %.0e", name.c_str(), rate);
  r.label = label;
  std::vector<TrialRow> rows = run_fast(r, net, test, f, cfg, run_ber_sweep, full_macs);

  // Naive: a model copy per trial, the trial's faults flipped in the copy, a full forward pass.
  auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  for (int64_t i : evenly_spaced(static_cast<int64_t>(rows.size()), naive_trials)) {
    Network copy = copy_network(net, test);
    std::vector<WeightSite> sites = weight_sites(copy, f);
    auto rng = trial_rng(cfg.seed, static_cast<uint64_t>(rows[i].trial));
    WeightFaultSet set = sample_weight_faults(sites, f, rate, rng);
    WeightUndoLog log;
    log.apply(sites, set);
    double acc = naive_accuracy(copy, test, cfg.batch_size);
    if (std::abs(acc - rows[i].accuracy) > 100.0 / test.size() + 1e-9) {
      std::fprintf(stderr, "warning: %s trial %lld: naive %.2f %% vs fast %.2f %%\n", r.label.c_str(),
                   static_cast<long long>(rows[i].trial), acc, rows[i].accuracy);
      ++r.disagreements;
    }
    ++r.naive_faults;
  }
  r.naive_seconds = since(t0);
  r.naive_cpu_seconds = cpu_seconds() - c0;
  finish(r, full_macs);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"faulty inferences per second of the campaigns against the naive way"};
  int threads = 0;
  int64_t images = 2000, naive_faults = 40;
  int trials = 50;
  double rate = 1e-5;
  std::string data_path;
  std::string models = "cnn,lenet5,cnv,resnet20";
  app.add_option("--threads", threads, "LibTorch intra-op threads (0 = all cores)");
  app.add_option("--images", images, "Fashion-MNIST test images per faulty inference pass");
  app.add_option("--naive-faults", naive_faults, "faults (trials) the naive way runs, evenly spaced");
  app.add_option("--trials", trials, "BER sweep trials");
  app.add_option("--ber", rate, "BER of the sweep");
  app.add_option("--data-path", data_path, "Fashion-MNIST directory");
  std::string device_setting = "cpu";
  double peak_tflops = 0;
  app.add_option("--device", device_setting, "cpu (default), auto, cuda or cuda:N");
  app.add_option("--batch", g_batch, "images per pass of the campaigns and the naive way (0: the campaign default)");
  app.add_option("--peak-tflops", peak_tflops, "the device's fp32 peak, for the fraction reached (0: not printed)");
  app.add_option("--models", models,
                 "comma-separated rows to run: cnn (the imported TorchScript CNN), lenet5, cnv (W1A1), resnet20");
  CLI11_PARSE(app, argc, argv);
  try {
    tune_process();
    threads = set_threads(threads);
    const c10::Device device = resolve_device(device_setting);
    use_device(device);
    DatasetConfig dc;
    dc.path = data_path;
    dc.train_limit = 1;
    dc.test_limit = images;
    DatasetSplit data = load_dataset(dc);
    data.test.images = data.test.images.to(device), data.test.labels = data.test.labels.to(device);
    std::vector<Result> results;
    auto wanted = [&](const char* name) { return models.find(name) != std::string::npos; };
    // The imported CNN: a TorchScript file generated like torch.jit.script exports nn layers.
    const std::string script = (std::filesystem::temp_directory_path() / "faultscape_bench_cnn.pt").string();
    test::save_script_cnn(script);
    auto cnn = [&] { return make_network("torchscript", 0, data.test, 1.0, script); };
    if (wanted("cnn")) results.push_back(stuck_sweep("stuck torchscript cnn", cnn(), data.test, naive_faults));
    if (wanted("lenet5"))
      results.push_back(
          stuck_sweep("stuck lenet5 float", make_network("lenet5", 0, data.test), data.test, naive_faults));
    if (wanted("cnv"))
      results.push_back(
          stuck_sweep("stuck cnv W1A1 w0.5", make_network("cnv", 1, data.test, 0.5), data.test, naive_faults / 4));
    if (wanted("resnet20"))
      results.push_back(
          stuck_sweep("stuck resnet20 w0.5", make_network("resnet20", 0, data.test, 0.5), data.test, naive_faults / 4));
    if (wanted("cnn"))
      results.push_back(ber_sweep("torchscript cnn", cnn(), data.test, rate, trials, naive_faults / 2));
    if (wanted("lenet5"))
      results.push_back(
          ber_sweep("lenet5", make_network("lenet5", 0, data.test), data.test, rate, trials, naive_faults / 2));
    if (wanted("cnv"))
      results.push_back(ber_sweep("cnv W1A1 w0.5", make_network("cnv", 1, data.test, 0.5), data.test, rate, trials,
                                  naive_faults / 4));
    std::filesystem::remove(script);

    std::printf("campaign speed, %lld Fashion-MNIST images, %d threads, device %s %s\n", static_cast<long long>(images),
                threads, device.str().c_str(), device_name(device).c_str());
    std::printf("%-30s %7s %9s %12s %9s %12s %10s %8s %8s %6s\n", "campaign", "faults", "fast s", "fast inf/s",
                "eff GF/s", "naive inf/s", "naive GF/s", "speedup", "cpu", "agree");
    nlohmann::json out = nlohmann::json::array();
    for (const Result& r : results) {
      std::printf("%-30s %7lld %9.2f %12.0f %9.1f %12.0f %10.1f %7.1fx %7.1fx %6s\n", r.label.c_str(),
                  static_cast<long long>(r.faults), r.fast_seconds, r.fast_inferences_per_second,
                  r.fast_effective_gflops, r.naive_inferences_per_second, r.naive_gflops, r.speedup, r.cpu_speedup,
                  r.disagreements == 0 ? "yes" : "NO");
      out.push_back(r.to_json());
    }
    nlohmann::json summary = {{"bench", "campaign"}, {"threads", threads}, {"device", device_record(device)},
                              {"images", images},    {"batch", g_batch},   {"results", out}};
    const DeviceMemory memory = device_memory(device);
    if (memory.total > 0) {
      summary["device_memory_used_mib"] = (memory.total - memory.free) >> 20;
      summary["device_memory_total_mib"] = memory.total >> 20;
      std::printf("device memory in use at the end: %lld of %lld MiB\n",
                  static_cast<long long>((memory.total - memory.free) >> 20),
                  static_cast<long long>(memory.total >> 20));
    }
    if (peak_tflops > 0) {
      double best = 0;
      for (const Result& r : results) best = std::max(best, r.fast_executed_gflops);
      summary["peak_tflops"] = peak_tflops;
      summary["best_executed_fraction_of_peak"] = best / (1000.0 * peak_tflops);
      std::printf("campaign kernels: best executed GFLOP/s %.0f = %.2f %% of the %.1f TFLOP/s fp32 peak\n", best,
                  100.0 * best / (1000.0 * peak_tflops), peak_tflops);
    }
    std::printf("%s\n", summary.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
