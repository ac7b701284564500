#include "faults/activation_faults.h"

#include <torch/torch.h>

#include <algorithm>
#include <climits>

#include "faults/weight_faults.h"
#include "faults/word_edits.h"

namespace faultscape {

void StuckFault::apply(torch::Tensor& out) const {
  using torch::indexing::Slice;
  if (out.dim() == 2) {  // [B, F]: a feature is a channel
    out.index_put_({Slice(), channel}, value);
    return;
  }
  if (channel >= 0 && h >= 0)
    out.index_put_({Slice(), channel, h, w}, value);
  else if (channel >= 0)
    out.index_put_({Slice(), channel}, value);
  else
    out.index_put_({Slice(), Slice(), h, w}, value);
}

int ActivationFaultSet::first_stage() const {
  int first = INT_MAX;
  for (const auto& s : sites)
    if (!s.faults.empty() || noise_sigma > 0) first = std::min(first, s.stage);
  return first;
}

bool ActivationFaultSet::hits(int stage) const {
  for (const auto& s : sites)
    if (s.stage == stage && (!s.faults.empty() || noise_sigma > 0)) return true;
  return false;
}

int64_t ActivationFaultSet::count() const {
  int64_t n = 0;
  for (const auto& s : sites) n += static_cast<int64_t>(s.faults.size());
  return n;
}

void ActivationFaultSet::apply(int stage, torch::Tensor& out, int64_t offset) const {
  const int64_t batch = out.size(0);
  for (const auto& s : sites) {
    if (s.stage != stage) continue;
    if (noise_sigma > 0) {
      // Drawn on the host generator and moved: the same noise on every device.
      auto gen = at::detail::createCPUGenerator(noise_seed ^ (static_cast<uint64_t>(stage) << 40) ^ offset);
      torch::Tensor noise = torch::randn(out.sizes(), gen, torch::TensorOptions().dtype(out.scalar_type()));
      out.add_(noise.to(out.device()) * (noise_sigma * out.std().item<double>()));
    }
    if (s.faults.empty()) continue;
    torch::Tensor flat = out.contiguous().view({batch, -1});
    const int64_t per_image = flat.size(1);
    auto first = std::lower_bound(s.faults.begin(), s.faults.end(), offset,
                                  [](const ActivationElementFault& f, int64_t img) { return f.image < img; });
    if (out.is_cpu()) {
      float* p = flat.data_ptr<float>();
      for (auto it = first; it != s.faults.end() && it->image < offset + batch; ++it) {
        float& v = p[(it->image - offset) * per_image + it->element];
        if (it->replace) v = it->value;
        if (it->flip) v = s.format.flip(v, it->flip, s.scale);
      }
    } else {  // the batch's words edited on the device (faults/word_edits.h), no copy to the host
      std::vector<WordEdit> edits;
      for (auto it = first; it != s.faults.end() && it->image < offset + batch; ++it)
        edits.push_back({(it->image - offset) * per_image + it->element, it->flip, 0, 0, it->replace, it->value});
      apply_word_edits(flat.view({-1}), merge_word_edits(std::move(edits)), s.format, s.scale);
    }
    if (!out.is_contiguous()) out.copy_(flat.view(out.sizes()));
  }
}

ActivationFaultSet sample_activation_faults(const std::vector<ActivationSite>& sites,
                                            const std::vector<int64_t>& per_image_numel, int64_t images,
                                            const FaultModel& fault, double rate, std::mt19937_64& rng) {
  ActivationFaultSet set;
  if (fault.kind == "gaussian_noise") {
    set.noise_sigma = rate;
    set.noise_seed = rng();
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (size_t i = 0; i < sites.size(); ++i) {
    ActivationFaultSet::SiteFaults sf{sites[i].stage, sites[i].format, sites[i].scale, {}};
    if (fault.kind != "gaussian_noise" && rate > 0) {
      const int64_t words = images * per_image_numel[i];
      std::vector<int> bits;
      for (int b = 0; b < 32; ++b)
        if (allowed_bits(fault, sites[i].format) & (1u << b)) bits.push_back(b);
      const bool per_bit = fault.kind == "bitflip" && fault.bits_per_word == 1;
      const int64_t units = per_bit ? words * static_cast<int64_t>(bits.size()) : words;
      int64_t count = units > 0 ? std::binomial_distribution<int64_t>(units, std::min(rate, 1.0))(rng) : 0;
      std::uniform_int_distribution<int64_t> pick(0, std::max<int64_t>(units - 1, 0));
      std::vector<double> levels = sites[i].levels;
      for (int64_t k = 0; k < count; ++k) {
        int64_t u = pick(rng);
        int64_t word = per_bit ? u / static_cast<int64_t>(bits.size()) : u;
        ActivationElementFault f{word / per_image_numel[i], word % per_image_numel[i]};
        if (fault.kind == "bitflip") {
          if (per_bit)
            f.flip = 1u << bits[u % bits.size()];
          else {
            std::vector<int> b = bits;
            std::shuffle(b.begin(), b.end(), rng);
            for (int j = 0; j < std::min<int>(fault.bits_per_word, static_cast<int>(b.size())); ++j)
              f.flip |= 1u << b[j];
          }
        } else if (fault.kind == "random_value") {
          double r = fault.value_range > 0 ? fault.value_range : 1.0;
          f.replace = true;
          f.value = static_cast<float>((2 * unit(rng) - 1) * r);
        } else {  // stuck_at elements at a rate: one of the stuck values
          std::vector<double> values = stuck_values(fault, sites[i], 1.0);
          f.replace = true;
          f.value = static_cast<float>(values[static_cast<size_t>(unit(rng) * values.size()) % values.size()]);
        }
        sf.faults.push_back(f);
      }
      std::sort(sf.faults.begin(), sf.faults.end(), [](const auto& a, const auto& b) {
        return std::tie(a.image, a.element) < std::tie(b.image, b.element);
      });
    }
    set.sites.push_back(std::move(sf));
  }
  return set;
}

std::vector<double> stuck_values(const FaultModel& fault, const ActivationSite& site, double golden_max) {
  if (fault.stuck_values.is_array()) return fault.stuck_values.get<std::vector<double>>();
  if (!site.levels.empty()) return site.levels;
  return {0.0, golden_max};
}

}  // namespace faultscape
