#include "project/config_json.h"

#include "fat/fat_json.h"
#include "models/zoo.h"
#include "robust/robust_json.h"

namespace faultscape {
namespace {

using nlohmann::json;

const std::vector<std::string> kOptimizers = {"adam", "sgd"};
const std::vector<std::string> kLosses = {"cross_entropy", "squared_hinge"};

// The zoo's architectures plus an imported TorchScript file.
const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all = zoo_names();
    all.push_back("torchscript");
    return all;
  }();
  return names;
}

bool positive(double v) { return v > 0; }
bool non_negative(double v) { return v >= 0; }

// Bit widths are 1..8 or "float"; the structs store float as 0.
json bits_to_json(int bits) { return bits == 0 ? json("float") : json(bits); }

void read_bits(Reader& r, const std::string& key, int& out) {
  if (!r.has(key)) return;
  const json& v = r.value().at(key);
  if (v == "float")
    out = 0;
  else if (v.is_number_integer() && v.get<int64_t>() >= 1 && v.get<int64_t>() <= 8)
    out = v.get<int>();
  else
    r.problem(key, "expected 1-8 or \"float\", got " + describe_value(v));
}

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

template <class Config>
Config parse_alone(const json& j, const std::string& source, const Config& base) {
  Problems problems;
  Config config = base;
  Reader reader(j, "", problems);
  read_config(reader, config);
  problems.throw_if_any(source);
  return config;
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

json to_json(const ModelConfig& c) {
  return {{"name", c.name},
          {"weight_bits", bits_to_json(c.weight_bits)},
          {"act_bits", bits_to_json(c.act_bits)},
          {"width", c.width},
          {"act_clip", c.act_clip},
          {"learnable_clip", c.learnable_clip},
          {"file", c.file}};
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

void read_config(Reader& r, ModelConfig& c) {
  r.get_choice("name", c.name, model_names());
  read_bits(r, "weight_bits", c.weight_bits);
  read_bits(r, "act_bits", c.act_bits);
  r.get_number("width", c.width, positive, "a number > 0");
  r.get_number("act_clip", c.act_clip, positive, "a number > 0");
  r.get("learnable_clip", c.learnable_clip);
  r.get("file", c.file);
  // Checked on the result so a base config from elsewhere is validated too.
  if (r.is_object() && c.name == "torchscript" && c.file.empty())
    r.problem("file", "required when name is \"torchscript\"");
  r.report_unknown();
}

void read_config(Reader& r, TrainConfig& c) {
  r.get_int("epochs", c.epochs, 1);
  r.get_int("batch_size", c.batch_size, 1);
  r.get_choice("optimizer", c.optimizer, kOptimizers);
  r.get_number("lr", c.lr, positive, "a number > 0");
  r.get_number("momentum", c.momentum, [](double v) { return v >= 0 && v < 1; }, "a number in [0, 1)");
  r.get_number("weight_decay", c.weight_decay, non_negative, "a number >= 0");
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
  if (const json* layers = subnetwork.array("layers")) {
    for (size_t i = 0; i < layers->size(); ++i) {
      if ((*layers)[i].is_string()) c.subnetwork_layers.push_back((*layers)[i].get<std::string>());
      else subnetwork.problem("layers", "element " + std::to_string(i) + ": expected a stage name, got " +
                                            describe_value((*layers)[i]));
    }
  }
  subnetwork.report_unknown();
  r.report_unknown();
}

DatasetConfig parse_dataset_config(const json& j, const std::string& source, const DatasetConfig& base) {
  return parse_alone(j, source, base);
}

ModelConfig parse_model_config(const json& j, const std::string& source, const ModelConfig& base) {
  return parse_alone(j, source, base);
}

TrainConfig parse_train_config(const json& j, const std::string& source, const TrainConfig& base) {
  return parse_alone(j, source, base);
}

}  // namespace faultscape
