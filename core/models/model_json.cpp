#include "models/model_json.h"

#include "models/zoo.h"

namespace faultscape {
namespace {

using nlohmann::json;

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

}  // namespace

json to_json(const ModelConfig& c) {
  return {{"name", c.name},
          {"weight_bits", bits_to_json(c.weight_bits)},
          {"act_bits", bits_to_json(c.act_bits)},
          {"width", c.width},
          {"act_clip", c.act_clip},
          {"learnable_clip", c.learnable_clip},
          {"file", c.file}};
}

void read_config(Reader& r, ModelConfig& c) {
  r.get_choice("name", c.name, model_names());
  read_bits(r, "weight_bits", c.weight_bits);
  read_bits(r, "act_bits", c.act_bits);
  // Channel counts scale with width: above 64x the smallest zoo network outgrows any memory.
  r.get_number(
      "width", c.width, [](double v) { return v > 0 && v <= 64; }, "a number in (0, 64]");
  r.get_number("act_clip", c.act_clip, positive, "a number > 0");
  r.get("learnable_clip", c.learnable_clip);
  r.get("file", c.file);
  // Checked on the result so a base config from elsewhere is validated too.
  if (r.is_object() && c.name == "torchscript" && c.file.empty())
    r.problem("file", "required when name is \"torchscript\"");
  r.report_unknown();
}

ModelConfig parse_model_config(const json& j, const std::string& source, const ModelConfig& base) {
  return parse_section(j, source, base);
}

}  // namespace faultscape
