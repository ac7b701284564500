#include "data/dataset_json.h"

namespace faultscape {
namespace {

using nlohmann::json;

// Upper bounds of the synthetic problem: generous for a toy dataset, and small enough that a typo
// or a hostile value is an error instead of tens of gigabytes of memory.
constexpr int64_t kMaxSyntheticImages = 1000000;
constexpr int64_t kMaxImageSide = 4096;
constexpr int64_t kMaxSyntheticValues = int64_t{1} << 30;  // pixels of train + test: 4 GiB of floats

void read_shape(Reader& r, const std::string& key, std::vector<int64_t>& out) {
  const json* v = r.array(key);
  if (!v) return;
  bool ok = v->size() == 3;
  for (const auto& d : *v)
    ok = ok && d.is_number_integer() && d.get<int64_t>() >= 1 && d.get<int64_t>() <= kMaxImageSide;
  if (ok)
    out = v->get<std::vector<int64_t>>();
  else
    r.problem(key, "expected [channels, height, width] of integers in 1.." + std::to_string(kMaxImageSide) + ", got " +
                       describe_value(*v));
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
  s.get_int("train", c.synthetic_train, 1, kMaxSyntheticImages);
  s.get_int("test", c.synthetic_test, 1, kMaxSyntheticImages);
  read_shape(s, "shape", c.synthetic_shape);
  s.get_int("classes", c.synthetic_classes, 2, 100000);
  int64_t values = c.synthetic_train + c.synthetic_test;
  for (int64_t d : c.synthetic_shape) values = values > kMaxSyntheticValues ? values : values * d;
  if (values > kMaxSyntheticValues)
    s.problem("shape", "train + test images of this shape hold more than 2^30 values (4 GiB); make them smaller");
  s.get_seed("seed", c.seed);
  s.report_unknown();
  r.report_unknown();
}

DatasetConfig parse_dataset_config(const json& j, const std::string& source, const DatasetConfig& base) {
  return parse_section(j, source, base);
}

}  // namespace faultscape
