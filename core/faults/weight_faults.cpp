#include "faults/weight_faults.h"

#include <torch/torch.h>

#include <algorithm>
#include <climits>
#include <map>

namespace faultscape {
namespace {

std::vector<int> bit_positions(uint32_t mask) {
  std::vector<int> out;
  for (int b = 0; b < 32; ++b)
    if (mask & (1u << b)) out.push_back(b);
  return out;
}

// Maps a global unit index (over every site's elements times units per element) to a site.
struct UnitIndex {
  std::vector<int64_t> offsets;  // prefix sums of units per site
  UnitIndex(const std::vector<WeightSite>& sites, int64_t units_per_element) {
    offsets.push_back(0);
    for (const auto& s : sites) offsets.push_back(offsets.back() + s.tensor.numel() * units_per_element);
  }
  int64_t total() const { return offsets.back(); }
  int site_of(int64_t u) const {
    return static_cast<int>(std::upper_bound(offsets.begin(), offsets.end(), u) - offsets.begin()) - 1;
  }
};

int64_t draw_count(int64_t n, double p, std::mt19937_64& rng) {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  return std::binomial_distribution<int64_t>(n, p)(rng);
}

// Merges faults hitting the same word (two flips of one bit cancel, as in hardware).
void merge(std::vector<WeightFault>& faults) {
  std::sort(faults.begin(), faults.end(), [](const WeightFault& a, const WeightFault& b) {
    return std::tie(a.site, a.index) < std::tie(b.site, b.index);
  });
  std::vector<WeightFault> out;
  for (const auto& f : faults) {
    if (!out.empty() && out.back().site == f.site && out.back().index == f.index) {
      auto& m = out.back();
      m.flip ^= f.flip;
      m.ones = (m.ones | f.ones) & ~f.zeros;
      m.zeros = (m.zeros | f.zeros) & ~f.ones;
      if (f.replace) m.replace = true, m.value = f.value;
    } else {
      out.push_back(f);
    }
  }
  faults.swap(out);
}

}  // namespace

uint32_t allowed_bits(const FaultModel& fault, const NumberFormat& fmt) {
  uint32_t mask = 0;
  if (!fault.bits.empty()) {
    for (int b : fault.bits) mask |= 1u << b;
  } else if (fault.bit_field == "sign") {
    mask = fmt.sign_mask();
  } else if (fault.bit_field == "exponent") {
    mask = fmt.exponent_mask();
  } else if (fault.bit_field == "mantissa") {
    mask = fmt.mantissa_mask();
  } else {
    mask = fmt.word_mask();
  }
  return mask & fmt.word_mask();
}

WeightFaultSet sample_weight_faults(const std::vector<WeightSite>& sites, const FaultModel& fault, double rate,
                                    std::mt19937_64& rng) {
  WeightFaultSet set;
  if (sites.empty() || rate <= 0) return set;
  if (fault.kind == "gaussian_noise") {
    set.noise_sigma = rate;
    set.noise_seed = rng();
    return set;
  }
  // Sites may differ in format; the per-word bit sets are computed per site.
  std::vector<std::vector<int>> bits(sites.size());
  for (size_t i = 0; i < sites.size(); ++i) bits[i] = bit_positions(allowed_bits(fault, sites[i].format));
  const bool per_bit = (fault.kind == "bitflip" || fault.kind == "stuck_bits") && fault.bits_per_word == 1;
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  if (per_bit) {
    // Units are (element, allowed bit); sites with different bit counts are indexed with the largest
    // count and positions beyond a site's own count are rejected, keeping the draw uniform.
    int64_t width = 0;
    for (const auto& b : bits) width = std::max<int64_t>(width, static_cast<int64_t>(b.size()));
    UnitIndex idx(sites, width);
    int64_t valid_units = 0;
    for (size_t i = 0; i < sites.size(); ++i)
      valid_units += sites[i].tensor.numel() * static_cast<int64_t>(bits[i].size());
    int64_t count = draw_count(valid_units, rate, rng);
    std::uniform_int_distribution<int64_t> pick(0, idx.total() - 1);
    while (static_cast<int64_t>(set.faults.size()) < count) {
      int64_t u = pick(rng);
      int s = idx.site_of(u);
      int64_t local = u - idx.offsets[s];
      int64_t slot = local % width;
      if (slot >= static_cast<int64_t>(bits[s].size())) continue;
      WeightFault f{s, local / width};
      uint32_t bit = 1u << bits[s][slot];
      if (fault.kind == "bitflip")
        f.flip = bit;
      else if (unit(rng) < fault.stuck_one_fraction)
        f.ones = bit;
      else
        f.zeros = bit;
      set.faults.push_back(f);
    }
  } else {
    // Word faults: random values, or several flipped bits in one word.
    UnitIndex idx(sites, 1);
    int64_t count = draw_count(idx.total(), rate, rng);
    std::uniform_int_distribution<int64_t> pick(0, idx.total() - 1);
    for (int64_t k = 0; k < count; ++k) {
      int64_t u = pick(rng);
      int s = idx.site_of(u);
      WeightFault f{s, u - idx.offsets[s]};
      if (fault.kind == "random_value") {
        double r = fault.value_range > 0 ? fault.value_range : sites[s].tensor.abs().max().item<double>();
        f.replace = true;
        f.value = static_cast<float>((2 * unit(rng) - 1) * r);
      } else {
        std::vector<int> b = bits[s];
        std::shuffle(b.begin(), b.end(), rng);
        for (int j = 0; j < std::min<int>(fault.bits_per_word, static_cast<int>(b.size())); ++j) {
          if (fault.kind == "bitflip")
            f.flip |= 1u << b[j];
          else if (unit(rng) < fault.stuck_one_fraction)
            f.ones |= 1u << b[j];
          else
            f.zeros |= 1u << b[j];
        }
      }
      set.faults.push_back(f);
    }
  }
  merge(set.faults);
  return set;
}

int WeightFaultSet::first_stage(const std::vector<WeightSite>& sites) const {
  if (noise_sigma > 0) {
    int first = INT_MAX;
    for (const auto& s : sites) first = std::min(first, s.stage);
    return first;
  }
  int first = INT_MAX;
  for (const auto& f : faults) first = std::min(first, sites[f.site].stage);
  return first;
}

int64_t WeightFaultSet::bit_flips() const {
  int64_t n = 0;
  for (const auto& f : faults) n += __builtin_popcount(f.flip);
  return n;
}

void WeightUndoLog::apply(const std::vector<WeightSite>& sites, const WeightFaultSet& set) {
  // Host tensors are edited word by word; a device tensor gets all of a site's words in a few
  // tensor operations on the device (faults/word_edits.h), bit for bit the same values.
  std::map<int, std::vector<WordEdit>> on_device;
  for (const auto& f : set.faults) {
    const WeightSite& site = sites[f.site];
    if (!site.tensor.is_cpu()) {
      on_device[f.site].push_back({f.index, f.flip, f.ones, f.zeros, f.replace, f.value});
      continue;
    }
    float* p = site.tensor.data_ptr<float>() + f.index;
    entries_.push_back({f.site, f.index, *p});
    float v = f.replace ? f.value : *p;
    if (f.flip) v = site.format.flip(v, f.flip, site.scale);
    if (f.ones || f.zeros) v = site.format.force(v, f.ones, f.zeros, site.scale);
    *p = v;
  }
  for (auto& [s, edits] : on_device) {
    const WeightSite& site = sites[s];
    device_undo_.emplace_back(s, apply_word_edits(site.tensor.detach().view({-1}), edits, site.format, site.scale));
  }
  if (set.noise_sigma > 0) {
    torch::NoGradGuard no_grad;
    // Drawn on the host generator and moved: the same noise on every device.
    auto gen = at::detail::createCPUGenerator(set.noise_seed);
    for (size_t i = 0; i < sites.size(); ++i) {
      torch::Tensor t = sites[i].tensor;
      backups_.emplace_back(static_cast<int>(i), t.clone());
      double sigma = set.noise_sigma * (t.numel() > 1 ? t.std().item<double>() : t.abs().item<double>());
      t.add_(torch::randn(t.sizes(), gen, torch::TensorOptions().dtype(t.scalar_type())).to(t.device()) * sigma);
    }
  }
}

void WeightUndoLog::undo(const std::vector<WeightSite>& sites) {
  torch::NoGradGuard no_grad;
  for (auto it = backups_.rbegin(); it != backups_.rend(); ++it) sites[it->first].tensor.copy_(it->second);
  for (auto it = device_undo_.rbegin(); it != device_undo_.rend(); ++it)
    undo_word_edits(sites[it->first].tensor.detach().view({-1}), it->second);
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
    sites[it->site].tensor.data_ptr<float>()[it->index] = it->old;
  entries_.clear();
  backups_.clear();
  device_undo_.clear();
}

}  // namespace faultscape
