#include "explain/explain_data.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace faultscape {
namespace {

// Shortest text that reads back as the same double.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string propagation_csv(const Explanation& ex) {
  std::ostringstream out;
  out << "stage,kind,max_abs,l2,corrupted,nonfinite,numel\n";
  for (const StageError& e : ex.stages)
    out << e.stage << ',' << e.kind << ',' << num(e.max_abs) << ',' << num(e.l2) << ',' << e.corrupted << ','
        << e.nonfinite << ',' << e.numel << '\n';
  return out.str();
}

std::string probabilities_csv(const Explanation& ex, const std::vector<std::string>& class_names) {
  std::ostringstream out;
  out << "class,name,golden,faulty\n";
  const torch::Tensor g = ex.golden_probs[0].contiguous(), f = ex.faulty_probs[0].contiguous();
  for (int64_t c = 0; c < g.numel(); ++c) {
    std::string name = c < static_cast<int64_t>(class_names.size()) ? class_names[c] : std::to_string(c);
    for (char& ch : name)
      if (ch == ',') ch = ';';
    out << c << ',' << name << ',' << num(g[c].item<double>()) << ',' << num(f[c].item<double>()) << '\n';
  }
  return out.str();
}

namespace {

// Stage `stage` of image 0 as [C, H, W] doubles: golden and faulty.
std::pair<torch::Tensor, torch::Tensor> maps_of(const Explanation& ex, int stage) {
  if (stage < 0 || stage >= static_cast<int>(ex.golden.size()))
    throw ConfigError("stage: " + std::to_string(stage) + " is not a stage of this network");
  torch::Tensor g = ex.golden[stage][0].to(torch::kDouble).contiguous();
  torch::Tensor f = ex.faulty[stage][0].to(torch::kDouble).contiguous();
  if (g.dim() == 1) return {g.view({1, 1, -1}), f.view({1, 1, -1})};
  if (g.dim() == 2) return {g.unsqueeze(1), f.unsqueeze(1)};
  return {g.reshape({g.size(0), g.size(1), -1}), f.reshape({f.size(0), f.size(1), -1})};
}

}  // namespace

std::string feature_map_csv(const Explanation& ex, int stage, int64_t channel) {
  auto [g, f] = maps_of(ex, stage);
  if (channel < 0 || channel >= g.size(0))
    throw ConfigError("channel: " + std::to_string(channel) + " is outside " + ex.stages.at(stage).stage + " (" +
                      std::to_string(g.size(0)) + " channels)");
  std::ostringstream out;
  out << "channel,row,column,golden,faulty,difference\n";
  const torch::Tensor gc = g[channel].contiguous(), fc = f[channel].contiguous();
  const double* gp = gc.data_ptr<double>();
  const double* fp = fc.data_ptr<double>();
  const int64_t H = gc.size(0), W = gc.size(1);
  for (int64_t h = 0; h < H; ++h)
    for (int64_t w = 0; w < W; ++w) {
      const int64_t i = h * W + w;
      out << channel << ',' << h << ',' << w << ',' << num(gp[i]) << ',' << num(fp[i]) << ',' << num(fp[i] - gp[i])
          << '\n';
    }
  return out.str();
}

nlohmann::json feature_maps_json(const Explanation& ex, int stage) {
  auto [g, f] = maps_of(ex, stage);
  const torch::Tensor orig = ex.golden[stage][0];
  std::vector<int64_t> shape = orig.sizes().vec();
  const double* gp = g.data_ptr<double>();
  const double* fp = f.data_ptr<double>();
  nlohmann::json golden = nlohmann::json::array(), faulty = nlohmann::json::array();
  for (int64_t i = 0; i < g.numel(); ++i) {
    golden.push_back(std::isfinite(gp[i]) ? nlohmann::json(gp[i]) : nlohmann::json(nullptr));
    faulty.push_back(std::isfinite(fp[i]) ? nlohmann::json(fp[i]) : nlohmann::json(nullptr));
  }
  // The widget's view of the shape: [C, H, W], [C, L] or [F].
  return {{"stage", ex.stages.at(stage).stage}, {"shape", shape}, {"golden", golden}, {"faulty", faulty}};
}

int64_t worst_channel(const Explanation& ex, int stage) {
  auto [g, f] = maps_of(ex, stage);
  torch::Tensor d = (f - g).abs().nan_to_num(INFINITY, INFINITY, INFINITY);
  d = d.reshape({d.size(0), -1}).amax(1);
  return d.max().item<double>() > 0 ? d.argmax().item<int64_t>() : 0;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw StoreError(path + ": cannot write");
}

}  // namespace faultscape
