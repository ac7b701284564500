// Counter-based seeding: the faults of trial t in a campaign with seed s come from an RNG keyed by
// (s, t) alone, so any trial can be replayed on its own and two variants see the same faults.
#pragma once
#include <cstdint>
#include <random>

namespace faultscape {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline std::mt19937_64 trial_rng(uint64_t campaign_seed, uint64_t trial, uint64_t stream = 0) {
  return std::mt19937_64(splitmix64(splitmix64(campaign_seed) ^ splitmix64(trial * 0x632be59bd9b4e019ull + stream)));
}

}  // namespace faultscape
