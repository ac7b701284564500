#include "project/config_json.h"

#include "common/stage_names_json.h"
#include "ftt/fat_json.h"
#include "project/optimizer_json.h"
#include "ftt/robust_json.h"

namespace faultscape {
namespace {

using nlohmann::json;

const std::vector<std::string> kOptimizers = {"adam", "sgd"};
const std::vector<std::string> kLosses = {"cross_entropy", "squared_hinge"};

bool non_negative(double v) { return v >= 0; }

}  // namespace

void read_optimizer_fields(Reader& r, TrainConfig& c) {
  r.get_int("epochs", c.epochs, 0);  // 0: use the model as it is (an imported network's own weights)
  r.get_int("batch_size", c.batch_size, 1);
  r.get_choice("optimizer", c.optimizer, kOptimizers);
  r.get_number("lr", c.lr, non_negative, "a number >= 0");
  if (c.epochs > 0 && c.lr == 0)
    r.problem("lr", "must be > 0 when training (epochs >= 1); epochs 0 uses the model as it is");
  r.get_number(
      "momentum", c.momentum, [](double v) { return v >= 0 && v < 1; }, "a number in [0, 1)");
  r.get_number("weight_decay", c.weight_decay, non_negative, "a number >= 0");
}

json to_json(const TrainConfig& c) {
  json j = {{"epochs", c.epochs},
            {"batch_size", c.batch_size},
            {"optimizer", c.optimizer},
            {"lr", c.lr},
            {"momentum", c.momentum},
            {"weight_decay", c.weight_decay},
            {"lr_halve_every", c.lr_halve_every},
            {"loss", c.loss},
            {"seed", c.seed},
            {"checkpoint", c.checkpoint},
            {"eval_batch_size", c.eval_batch_size}};
  // Written only when on, so plain training keeps its config hash (and its reusable models).
  if (c.fault_aware.enabled()) j["fault_aware"] = to_json(c.fault_aware);
  if (c.dropout.enabled()) j["dropout"] = to_json(c.dropout);
  robust_to_json(c.learned_threshold, c.quant_bound, c.bitflip_training, c.saturating_weights, j);
  if (!c.subnetwork_layers.empty()) j["subnetwork"] = {{"layers", c.subnetwork_layers}};
  return j;
}

void read_config(Reader& r, TrainConfig& c) {
  read_optimizer_fields(r, c);
  r.get_int("lr_halve_every", c.lr_halve_every, 0);
  r.get_choice("loss", c.loss, kLosses);
  r.get_seed("seed", c.seed);
  r.get("checkpoint", c.checkpoint);
  r.get_int("eval_batch_size", c.eval_batch_size, 1);
  for (const char* key : {"fault_aware", "dropout", "subnetwork"})
    if (r.has(key) && !r.value().at(key).is_object())
      r.problem(key, "expected an object, got " + describe_value(r.value().at(key)));
  Reader fat = r.object("fault_aware");
  read_config(fat, c.fault_aware);
  Reader dropout = r.object("dropout");
  read_config(dropout, c.dropout);
  read_robust_configs(r, c.learned_threshold, c.quant_bound, c.bitflip_training, c.saturating_weights);
  // Sub-networks (paper 003): {"layers": [stage names that training keeps removable]}.
  Reader subnetwork = r.object("subnetwork");
  read_stage_names(subnetwork, "layers", c.subnetwork_layers);
  subnetwork.report_unknown();
  r.report_unknown();
}

TrainConfig parse_train_config(const json& j, const std::string& source, const TrainConfig& base) {
  return parse_section(j, source, base);
}

}  // namespace faultscape
