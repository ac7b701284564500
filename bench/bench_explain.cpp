// Update latency of the Fault explorer's engine side (core/explain), as the workbench's worker
// runs it for every change: explain one fault on one image, then the JSON the window draws
// (statistics, top-5, feature maps of the shown stage). Two kinds of update:
//   fault edit:   a new fault on the same image (golden pass cached): from the first faulty stage on;
//   image change: a new image (golden pass of every stage) and then the fault.
// Faults: the top bit of a weight of the first conv (fp32: exponent bit 30; cnv's int2 words: the
// sign bit), after which the whole network reruns, and a stuck channel of the last conv (a short
// suffix). Models: lenet5 (float, 1x28x28) and cnv (W2A2, 3x32x32), seeded and untrained (the
// latency does not depend on the weights' values).
// Prints a table and one JSON line (the last line). No timing assertions anywhere.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "explain/explain_data.h"
#include "explain/explainer.h"
#include "models/zoo.h"
#include "runtime/runtime.h"

using namespace faultscape;
using Clock = std::chrono::steady_clock;

namespace {

struct Stats {
  double median = 0, p90 = 0, max = 0;
};

Stats stats(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 9 / 10)], ms.back()};
}

// One update as the worker does it: explain, then the window's JSON.
size_t update(Explainer& ex, const ExplainFault& fault) {
  const Explanation e = ex.explain(fault);
  nlohmann::json out = e.to_json(5);
  out["maps"] = feature_maps_json(e, e.first_stage);
  out["worst_channel"] = worst_channel(e, e.first_stage);
  return out.dump().size();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Fault explorer update latency (core/explain)");
  int threads = 2, reps = 50;
  app.add_option("--threads", threads, "intra-op threads (the workbench uses the project's)");
  app.add_option("--reps", reps, "updates measured per row");
  CLI11_PARSE(app, argc, argv);
  set_threads(threads);
  torch::manual_seed(1);

  struct Model {
    std::string label;
    ModelConfig config;
    std::vector<int64_t> shape;
    std::string first_conv, last_conv;
    int bit;  // the weight bit flipped: fp32's top exponent bit, an int2 word's sign bit
  };
  ModelConfig lenet;
  lenet.name = "lenet5";
  ModelConfig cnv;
  cnv.name = "cnv";
  cnv.weight_bits = 2;
  cnv.act_bits = 2;
  const std::vector<Model> models = {{"lenet5 float", lenet, {1, 28, 28}, "conv0", "conv1", 30},
                                     {"cnv W2A2", cnv, {3, 32, 32}, "conv0", "conv5", 1}};
  nlohmann::json rows = nlohmann::json::array();
  std::printf("%-14s %-34s %10s %10s %10s %10s\n", "model", "update", "median ms", "p90 ms", "max ms", "JSON kB");
  for (const Model& m : models) {
    Network net = build_network(m.config, m.shape, 10);
    net->eval();
    std::vector<int64_t> dims = {1};
    dims.insert(dims.end(), m.shape.begin(), m.shape.end());
    std::vector<torch::Tensor> images;
    for (int i = 0; i < 8; ++i) images.push_back(torch::randn(dims));
    ExplainFault weight;
    weight.target = "weights", weight.layer = m.first_conv, weight.index = 0, weight.bit = m.bit;
    ExplainFault stuck;
    stuck.target = "activations", stuck.layer = m.last_conv, stuck.channel = 0, stuck.value = 1.0;
    struct Row {
      std::string label;
      const ExplainFault* fault;
      bool new_image;
    };
    const std::string bit = "bit " + std::to_string(m.bit) + " of " + m.first_conv;
    const std::vector<Row> cases = {{"fault edit: " + bit + " weight", &weight, false},
                                    {"fault edit: stuck channel of " + m.last_conv, &stuck, false},
                                    {"image change + " + bit, &weight, true}};
    for (const Row& c : cases) {
      Explainer ex(net, images[0]);
      for (int w = 0; w < 3; ++w) update(ex, *c.fault);  // warm-up
      std::vector<double> ms;
      size_t bytes = 0;
      for (int r = 0; r < reps; ++r) {
        ExplainFault f = *c.fault;
        f.index = r % 7;  // a different weight each time, as clicking through indices does
        const auto t0 = Clock::now();
        if (c.new_image) {
          Explainer fresh(net, images[r % images.size()]);
          bytes = update(fresh, f);
        } else {
          bytes = update(ex, f);
        }
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
      const Stats s = stats(ms);
      std::printf("%-14s %-34s %10.2f %10.2f %10.2f %10.1f\n", m.label.c_str(), c.label.c_str(), s.median, s.p90, s.max,
                  bytes / 1024.0);
      rows.push_back({{"model", m.label},
                      {"update", c.label},
                      {"median_ms", s.median},
                      {"p90_ms", s.p90},
                      {"max_ms", s.max},
                      {"json_bytes", bytes}});
    }
  }
  std::printf(
      "%s\n",
      nlohmann::json({{"bench", "explain"}, {"threads", threads}, {"reps", reps}, {"rows", rows}}).dump().c_str());
  return 0;
}
