#include "project/prune_json.h"

#include "common/stage_names_json.h"
#include "project/optimizer_json.h"

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
  read_stage_names(r, "layers", c.layers);
  r.get_int("score_images", c.score_images, 1);
  if (r.has("fine_tune") && !r.value().at("fine_tune").is_object())
    r.problem("fine_tune", "expected an object, got " + describe_value(r.value().at("fine_tune")));
  Reader fine_tune = r.object("fine_tune");
  read_optimizer_fields(fine_tune, c.fine_tune);  // epochs 0: measured right after pruning
  fine_tune.report_unknown();
  r.get("save", c.save);
  r.report_unknown();
}

}  // namespace faultscape
