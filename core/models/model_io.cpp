#include "models/model_io.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "common/file_checks.h"
#include "common/json_parse.h"
#include "models/threshold_relu.h"
#include "models/zoo.h"
#include "models/channel_layers.h"
#include "models/channel_narrow.h"
#include "models/model_json.h"
#include "runtime/device.h"

namespace faultscape {
namespace {
const char* kMetaKey = "faultscape_meta";
const char* kFormat = "faultscape-model-1";

// A pruned model: the zoo network is narrowed to the recorded channel counts (its first channels
// kept) before the saved weights, which have exactly those shapes, are loaded over it.
void narrow_to_record(Network& net, const nlohmann::json& channels, const std::string& path) {
  for (const auto& [name, count] : channels.items()) {
    const int stage = net->stage_index(name);
    ChannelLayer layer;
    if (stage < 0 || !channel_layer(net, stage, layer) || !count.is_number_integer())
      throw ModelError(path + ": channels." + name + ": not a prunable layer of this architecture");
    const int64_t n = count.get<int64_t>();
    if (n < 1 || n > layer.channels())
      throw ModelError(path + ": channels." + name + ": " + std::to_string(n) + " channels, the architecture has " +
                       std::to_string(layer.channels()));
    if (n == layer.channels()) continue;
    std::vector<int64_t> keep(static_cast<size_t>(n));
    for (int64_t c = 0; c < n; ++c) keep[static_cast<size_t>(c)] = c;
    prune_stage_channels(net, stage, keep);
  }
}

// The architecture record is read from a file: every field is checked before it is used, so a
// damaged or hostile record gives a message naming the file and field, not a library's text.
void check_record(const nlohmann::json& meta, const std::string& path) {
  auto bad = [&](const std::string& field, const std::string& what) {
    throw ModelError(path + ": architecture record: " + field + ": " + what);
  };
  if (!meta.is_object()) bad("(root)", "expected an object");
  // Not value(): a format that is not a string would throw a library type error (fuzz_model_record).
  const auto format = meta.find("format");
  if (format == meta.end() || !format->is_string() || format->get<std::string>() != kFormat)
    throw ModelError(path + ": unsupported model file format");
  if (!meta.contains("model") || !meta["model"].is_object()) bad("model", "missing or not an object");
  const nlohmann::json* shape = meta.contains("input_shape") ? &meta["input_shape"] : nullptr;
  if (!shape || !shape->is_array() || shape->empty() || shape->size() > 4) bad("input_shape", "expected 1-4 sizes");
  int64_t elements = 1;
  for (const auto& d : *shape) {
    if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > 65536)
      bad("input_shape", "expected sizes in 1..65536, got " + d.dump());
    elements *= d.get<int64_t>();
    if (elements > (int64_t{1} << 26)) bad("input_shape", "more than 2^26 values per image");
  }
  const nlohmann::json* classes = meta.contains("num_classes") ? &meta["num_classes"] : nullptr;
  if (!classes || !classes->is_number_integer() || classes->get<int64_t>() < 1 || classes->get<int64_t>() > 100000)
    bad("num_classes", "expected an integer in 1..100000");
  if (meta.contains("channels") && !meta["channels"].is_object()) bad("channels", "expected an object");
}

// The saturating-weight encodings a network was trained under: {stage: {"function", "s"}}.
nlohmann::json encoding_record(const Network& net) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [stage, e] : net->trained_encodings()) out[stage] = {{"function", e.function}, {"s", e.scale}};
  return out;
}

void apply_encoding_record(Network& net, const nlohmann::json& record, const std::string& path) {
  const std::string field = path + ": architecture record: saturation";
  if (!record.is_object()) throw ModelError(field + ": expected an object");
  for (const auto& [stage, e] : record.items()) {
    const int i = net->stage_index(stage);
    if (i < 0 || (net->stage(i).kind != "conv" && net->stage(i).kind != "linear"))
      throw ModelError(field + "." + stage + ": not a conv / linear stage of this architecture");
    if (!e.is_object() || !e.contains("function") || !e.at("function").is_string() || !e.contains("s") ||
        !e.at("s").is_number())
      throw ModelError(field + "." + stage + ": expected {\"function\": \"tanh\" | \"atan\", \"s\": a number}");
    const std::string function = e.at("function").get<std::string>();
    const double s = e.at("s").get<double>();
    if (function != "tanh" && function != "atan")
      throw ModelError(field + "." + stage + ".function: expected \"tanh\" or \"atan\", got " +
                       e.at("function").dump());
    if (!(s > 0 && s < 1e30))
      throw ModelError(field + "." + stage + ".s: expected a number in (0, 1e30), got " + e.at("s").dump());
    net->set_trained_encoding(stage, {function, s});
  }
}

}  // namespace

void save_model(Network& net, const std::string& path, const nlohmann::json& meta) {
  nlohmann::json m = meta.is_object() ? meta : nlohmann::json::object();
  m["format"] = kFormat;
  m["model"] = to_json(net->config());
  m["input_shape"] = net->input_shape();
  m["num_classes"] = net->num_classes();
  // Learned-threshold gates are part of the trained architecture but not of the zoo's.
  nlohmann::json gates = threshold_record(net);
  if (!gates.empty()) m["threshold_act"] = gates;
  // The scale of saturating-weight training, kept for the `saturate` scheme.
  nlohmann::json encodings = encoding_record(net);
  if (!encodings.empty()) m["saturation"] = encodings;
  // Output channels of every prunable layer: a pruned network is narrower than the zoo's.
  nlohmann::json channels = nlohmann::json::object();
  for (const ChannelLayer& l : channel_layers(net)) channels[net->stage(l.stage).name] = l.channels();
  if (!channels.empty()) m["channels"] = channels;
  std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  std::string tmp = path + ".tmp";
  // Model files hold host tensors, so a model trained on a GPU loads on any machine. The archive
  // refers to the tensors until it is written: the network moves back only after that.
  const c10::Device device = module_device(*net);
  struct MoveBack {
    Network& net;
    c10::Device device;
    ~MoveBack() {
      if (!device.is_cpu()) net->to(device);
    }
  } move_back{net, device};
  if (!device.is_cpu()) net->to(torch::kCPU);
  try {
    torch::serialize::OutputArchive archive;
    archive.write(kMetaKey, c10::IValue(m.dump()));
    net->save(archive);
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    throw ModelError(path + ": cannot write model: " + e.what_without_backtrace());
  }
  std::filesystem::rename(tmp, target);
}

bool has_architecture_record(const std::string& path) {
  if (!std::filesystem::exists(path)) throw ModelError(path + ": model file does not exist");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, torch::kCPU);
    c10::IValue meta;
    return archive.try_read(kMetaKey, meta) && meta.isString();
  } catch (const c10::Error& e) {
    throw ModelError(path + ": neither a Faultscape model file nor a TorchScript file: " + e.what_without_backtrace());
  }
}

LoadedModel model_from_record(const std::string& record, const std::string& path) {
  LoadedModel out;
  try {
    out.meta = parse_json(record);
  } catch (const JsonError& e) {
    throw ModelError(path + ": corrupt architecture record: " + e.what());
  }
  check_record(out.meta, path);
  ModelConfig config = parse_model_config(out.meta.at("model"), path + ":model");
  try {
    out.net = build_network(config, out.meta.at("input_shape").get<std::vector<int64_t>>(),
                            out.meta.at("num_classes").get<int64_t>());
  } catch (const ModelError& e) {  // too large, too small an input, ...: name the file
    throw ModelError(path + ": architecture record: " + e.what());
  }
  if (out.meta.contains("channels")) narrow_to_record(out.net, out.meta.at("channels"), path);
  if (out.meta.contains("threshold_act")) apply_threshold_record(out.net, out.meta.at("threshold_act"), path);
  if (out.meta.contains("saturation")) apply_encoding_record(out.net, out.meta.at("saturation"), path);
  return out;
}

LoadedModel load_model(const std::string& path) {
  if (!std::filesystem::exists(path)) throw ModelError(path + ": model file does not exist");
  try {
    check_input_file(path, "model file");  // a FIFO would block in open()
  } catch (const Error& e) {
    throw ModelError(e.what());
  }
  torch::serialize::InputArchive archive;
  std::string record;
  try {
    archive.load_from(path, torch::kCPU);
    c10::IValue meta;
    if (!archive.try_read(kMetaKey, meta) || !meta.isString())
      throw ModelError(path + ": not a Faultscape model file (no architecture record)");
    record = meta.toStringRef();
  } catch (const c10::Error& e) {
    throw ModelError(path + ": not a readable model file: " + e.what_without_backtrace());
  }
  LoadedModel out = model_from_record(record, path);
  try {
    out.net->load(archive);
  } catch (const c10::Error& e) {
    throw ModelError(path + ": weights do not match the architecture: " + e.what_without_backtrace());
  }
  out.net->eval();
  return out;
}

Network load_network(const std::string& path, const std::vector<int64_t>& input_shape, int64_t num_classes) {
  if (has_architecture_record(path)) return load_model(path).net;
  ModelConfig imported;
  imported.name = "torchscript";
  imported.file = path;
  Network net = build_network(imported, input_shape, num_classes);
  net->eval();
  return net;
}

}  // namespace faultscape
