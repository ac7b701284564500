#include "project/prune_json.h"

namespace faultscape {
namespace {

using nlohmann::json;

bool fraction(double v) { return v >= 0 && v < 1; }

}  // namespace

json to_json(const PruneConfig& c) {
  const TrainConfig& f = c.fine_tune;
  return {{"criterion", c.criterion},
          {"ratio", c.ratio},
          {"linear_ratio", c.linear_ratio},
          {"layers", c.layers},
          {"score_images", c.score_images},
          {"fine_tune",
           {{"epochs", f.epochs},
            {"batch_size", f.batch_size},
            {"optimizer", f.optimizer},
            {"lr", f.lr},
            {"momentum", f.momentum},
            {"weight_decay", f.weight_decay}}},
          {"save", c.save}};
}

void read_config(Reader& r, PruneConfig& c) {
  r.get_choice("criterion", c.criterion, {"vulnerability", "l1"});
  r.get_number("ratio", c.ratio, fraction, "a number in [0, 1)");
  r.get_number(
      "linear_ratio", c.linear_ratio, [](double v) { return v < 1; }, "a number < 1 (< 0: the same as ratio)");
  if (const json* layers = r.array("layers")) {
    for (size_t i = 0; i < layers->size(); ++i) {
      if ((*layers)[i].is_string())
        c.layers.push_back((*layers)[i].get<std::string>());
      else
        r.problem("layers",
                  "element " + std::to_string(i) + ": expected a stage name, got " + describe_value((*layers)[i]));
    }
  }
  r.get_int("score_images", c.score_images, 1);
  if (r.has("fine_tune") && !r.value().at("fine_tune").is_object())
    r.problem("fine_tune", "expected an object, got " + describe_value(r.value().at("fine_tune")));
  Reader f = r.object("fine_tune");
  TrainConfig& t = c.fine_tune;
  f.get_int("epochs", t.epochs, 0);  // 0: measure right after pruning, no fine-tuning
  f.get_int("batch_size", t.batch_size, 1);
  f.get_choice("optimizer", t.optimizer, {"adam", "sgd"});
  f.get_number(
      "lr", t.lr, [](double v) { return v > 0; }, "a number > 0");
  f.get_number("momentum", t.momentum, fraction, "a number in [0, 1)");
  f.get_number(
      "weight_decay", t.weight_decay, [](double v) { return v >= 0; }, "a number >= 0");
  f.report_unknown();
  r.get("save", c.save);
  r.report_unknown();
}

}  // namespace faultscape
