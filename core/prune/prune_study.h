// Prune a trained network by vulnerability (eq. 1) or L1 norm, fine-tune it, and report the cost
// and accuracy before pruning, right after, and after fine-tuning (hardening paper, section IV).
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/network.h"
#include "train/trainer.h"

namespace faultscape {

struct PruneConfig {
  std::string criterion = "vulnerability";  // vulnerability | l1
  double ratio = 0.25;                      // fraction of each layer's channels removed
  double linear_ratio = -1;                 // linear (FC) layers' fraction; < 0: `ratio` (paper Table II
                                            // prunes CONV and FC at different ratios)
  std::vector<std::string> layers;          // empty = every conv / linear stage but the logits
  int64_t score_images = 1000;              // images for the vulnerability estimate
  TrainConfig fine_tune = [] {              // the paper: 10 epochs of SGD at lr 0.001
    TrainConfig t;
    t.epochs = 10;
    t.optimizer = "sgd";
    t.lr = 0.001;
    return t;
  }();
  std::string save;  // where a project's prune step writes the pruned model (study layer); empty = default
  double ratio_for(bool linear) const { return linear && linear_ratio >= 0 ? linear_ratio : ratio; }
};

struct NetworkCost {
  int64_t params = 0;
  int64_t macs = 0;
  double accuracy = 0;    // percent on the test set
  double latency_ms = 0;  // per image, batch evaluation
  nlohmann::json to_json() const;
};

struct PruneReport {
  std::string criterion;
  double ratio = 0, linear_ratio = 0;
  int64_t removed_channels = 0;
  std::vector<std::pair<std::string, int64_t>> channels_after;  // layer -> remaining channels
  NetworkCost before, pruned, fine_tuned;
  TrainResult fine_tuning;
  nlohmann::json to_json() const;
};

NetworkCost measure_cost(Network& net, const Dataset& test, int64_t batch_size = 1000);

// Throws ConfigError naming prune.criterion / prune.ratio / prune.linear_ratio when out of range.
void check_prune_config(const PruneConfig& config);

// Prunes `net` in place and fine-tunes it on data.train (skipped when fine_tune.epochs == 0).
PruneReport prune_and_fine_tune(Network& net, const DatasetSplit& data, const PruneConfig& config,
                                const TrainContext& context = {});

}  // namespace faultscape
