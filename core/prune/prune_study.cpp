#include "prune/prune_study.h"

#include <torch/torch.h>

#include "common/error.h"
#include "models/summary.h"
#include "models/channel_layers.h"
#include "prune/channel_prune.h"
#include "prune/vulnerability.h"
#include "train/evaluate.h"

namespace faultscape {

NetworkCost measure_cost(Network& net, const Dataset& test, int64_t batch_size) {
  NetworkCost c;
  ModelSummary s = summarize(net);
  c.params = s.params;
  c.macs = s.macs;
  EvalResult e = evaluate(net, test, batch_size);
  c.accuracy = e.accuracy;
  c.latency_ms = e.latency_ms_per_image;
  return c;
}

void check_prune_config(const PruneConfig& config) {
  if (config.criterion != "vulnerability" && config.criterion != "l1")
    throw ConfigError("prune.criterion: expected \"vulnerability\" or \"l1\", got \"" + config.criterion + "\"");
  if (!(config.ratio >= 0 && config.ratio < 1)) throw ConfigError("prune.ratio: expected a number in [0, 1)");
  if (!(config.linear_ratio < 1)) throw ConfigError("prune.linear_ratio: expected a number < 1 (< 0: prune.ratio)");
}

PruneReport prune_and_fine_tune(Network& net, const DatasetSplit& data, const PruneConfig& config,
                                const TrainContext& context) {
  check_prune_config(config);
  PruneReport r;
  r.criterion = config.criterion;
  r.ratio = config.ratio;
  r.linear_ratio = config.ratio_for(true);
  r.before = measure_cost(net, data.test, config.fine_tune.eval_batch_size);
  // Scores on training images: the test set stays unseen by every decision.
  std::vector<ChannelScores> scores =
      config.criterion == "l1" ? channel_l1_norms(net, config.layers)
                               : channel_vulnerability(net, data.train, config.score_images, 250, config.layers);
  std::vector<double> ratios;
  for (const ChannelScores& layer : scores) {
    ChannelLayer l;
    ratios.push_back(config.ratio_for(channel_layer(net, layer.stage, l) && l.linear != nullptr));
  }
  r.removed_channels = prune_by_scores(net, scores, lowest_channels(scores, ratios));
  for (const auto& l : channel_layers(net, config.layers))
    r.channels_after.emplace_back(net->stage(l.stage).name, l.channels());
  r.pruned = measure_cost(net, data.test, config.fine_tune.eval_batch_size);
  r.fine_tuned = r.pruned;
  if (config.fine_tune.epochs > 0) {
    r.fine_tuning = train_network(net, data, config.fine_tune, context);
    r.fine_tuned = measure_cost(net, data.test, config.fine_tune.eval_batch_size);
  }
  return r;
}

nlohmann::json NetworkCost::to_json() const {
  return {{"params", params}, {"macs", macs}, {"accuracy", accuracy}, {"latency_ms", latency_ms}};
}

nlohmann::json PruneReport::to_json() const {
  nlohmann::json layers = nlohmann::json::object();
  for (const auto& [name, n] : channels_after) layers[name] = n;
  return {{"criterion", criterion},
          {"ratio", ratio},
          {"linear_ratio", linear_ratio},
          {"removed_channels", removed_channels},
          {"channels_after", layers},
          {"before", before.to_json()},
          {"pruned", pruned.to_json()},
          {"fine_tuned", fine_tuned.to_json()},
          {"fine_tuning", fine_tuning.to_json()}};
}

}  // namespace faultscape
