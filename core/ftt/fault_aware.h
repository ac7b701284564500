// Fault-aware training (FAT, Zahid et al., section IV-C): error-injection layers after every
// activation / pooling stage, driven per epoch.
//   method 1: every injection layer enabled, probability p (fixed or scheduled);
//   method 2 (Algorithm 2): at the start of each epoch one injection layer, drawn uniformly at
//            random, is enabled and all others disabled.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "train/fat_config.h"
#include "ftt/injection_layer.h"
#include "models/network.h"

namespace faultscape {

// "auto" stuck values of a stage's output, from the activation quantizer that produced it (for a
// pooling stage, the one before it), with bound a and n = quant_max_level(bits):
//   1 bit:   {-a, a}          the paper's {0 (representing -1), 1};
//   2 bits:  {-a, 0, a}       the paper's symmetric {-1, 0, 1};
//   3+ bits: {-a, 0, a}       the lowest, zero and highest level. The paper (sec. V-D) names the
//            stuck values of its 3- and 4-bit networks by their largest codes, 7 and 15 (the
//            all-ones word of the activation); it lists no full set. We take the word's extremes
//            (all zeros -> lowest level, all ones -> highest) and zero (stuck@0), not every one of
//            the 2n+1 levels: each value then gets p/3 of the injections as at 2 bits, where
//            spreading p over 7 or 15 mostly harmless middle levels would dilute the extremes.
// Throws ConfigError for float activations.
std::vector<double> auto_stuck_values(const Network& net, int stage);
// The same values tied to the quantizer's bound tensor: they follow a learnable clip as training
// moves it (what the injection layers of FaultAwareTraining use).
QuantizerStuckValues auto_stuck_source(const Network& net, int stage);

class FaultAwareTraining {
 public:
  struct Point {
    int stage;
    std::string name;
    ErrorInjection layer;
  };

  // Appends one injection layer to each selected stage; all disabled until begin_epoch().
  FaultAwareTraining(Network& net, const FatConfig& config, int epochs, uint64_t seed);

  void begin_epoch(int epoch);  // 1-based, as TrainHooks::on_epoch_begin
  double p_at(int epoch) const;
  void disable_all();
  // Takes the injection layers out of the network again; the object is inert afterwards.
  void remove();

  const std::vector<Point>& points() const { return points_; }
  int enabled_count() const;
  // Method 2: the point index enabled in each epoch begun so far.
  const std::vector<int>& choices() const { return choices_; }
  nlohmann::json describe() const;

 private:
  Network net_;
  FatConfig config_;
  int epochs_;
  std::mt19937_64 rng_;
  std::vector<Point> points_;
  std::vector<std::string> names_;  // of the points, kept after remove() for describe()
  std::vector<int> choices_;
};

}  // namespace faultscape
