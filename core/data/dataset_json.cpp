#include "data/dataset_json.h"

namespace faultscape {
namespace {

using nlohmann::json;

void read_shape(Reader& r, const std::string& key, std::vector<int64_t>& out) {
  const json* v = r.array(key);
  if (!v) return;
  bool ok = v->size() == 3;
  for (const auto& d : *v) ok = ok && d.is_number_integer() && d.get<int64_t>() >= 1;
  if (ok)
    out = v->get<std::vector<int64_t>>();
  else
    r.problem(key, "expected [channels, height, width] of positive integers, got " + describe_value(*v));
}

}  // namespace

json to_json(const DatasetConfig& c) {
  return {{"name", c.name},
          {"path", c.path},
          {"train_limit", c.train_limit},
          {"test_limit", c.test_limit},
          {"normalize", c.normalize},
          {"augment", c.augment},
          {"synthetic",
           {{"train", c.synthetic_train},
            {"test", c.synthetic_test},
            {"shape", c.synthetic_shape},
            {"classes", c.synthetic_classes},
            {"seed", c.seed}}}};
}

void read_config(Reader& r, DatasetConfig& c) {
  r.get_choice("name", c.name, dataset_names());
  r.get("path", c.path);
  r.get_int("train_limit", c.train_limit, 0);
  r.get_int("test_limit", c.test_limit, 0);
  r.get("normalize", c.normalize);
  r.get("augment", c.augment);
  Reader s = r.object("synthetic");
  s.get_int("train", c.synthetic_train, 1);
  s.get_int("test", c.synthetic_test, 1);
  read_shape(s, "shape", c.synthetic_shape);
  s.get_int("classes", c.synthetic_classes, 2);
  s.get_seed("seed", c.seed);
  s.report_unknown();
  r.report_unknown();
}

DatasetConfig parse_dataset_config(const json& j, const std::string& source, const DatasetConfig& base) {
  return parse_section(j, source, base);
}

}  // namespace faultscape
