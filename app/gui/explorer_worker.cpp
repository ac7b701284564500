#include <torch/torch.h>  // before any Qt header (Qt's `slots` macro breaks torch's headers)

#include "explorer_worker.h"

#include <chrono>

#include "common/error.h"
#include "common/json_reader.h"
#include "explain/explain_data.h"
#include "explain/explain_session.h"
#include "faults/sites.h"
#include "project/project.h"
#include "runtime/runtime.h"

namespace faultscape::gui {
namespace {

QString error_text(const std::exception& e) {
  if (auto* v = dynamic_cast<const ValidationError*>(&e)) {
    QString text = QString::fromStdString(v->source()) + ":";
    for (const auto& p : v->problems()) text += "\n  " + QString::fromStdString(p);
    return text;
  }
  return QString::fromUtf8(e.what());
}

// A test image as it looked before normalisation, 8 bits per channel.
QImage thumbnail(const Dataset& data, int64_t i) {
  torch::Tensor x = data.images[i].to(torch::kDouble).clone();  // [C, H, W]
  for (int64_t c = 0; c < x.size(0); ++c) {
    const double sd = c < static_cast<int64_t>(data.channel_std.size()) ? data.channel_std[c] : 1.0;
    const double mean = c < static_cast<int64_t>(data.channel_mean.size()) ? data.channel_mean[c] : 0.0;
    x[c].mul_(sd).add_(mean);
  }
  x = (x.clamp(0, 1) * 255).round().to(torch::kUInt8).contiguous();
  const int h = static_cast<int>(x.size(1)), w = static_cast<int>(x.size(2));
  const uint8_t* p = x.data_ptr<uint8_t>();
  QImage img(w, h, x.size(0) == 3 ? QImage::Format_RGB888 : QImage::Format_Grayscale8);
  for (int r = 0; r < h; ++r) {
    uchar* line = img.scanLine(r);
    for (int c = 0; c < w; ++c) {
      if (x.size(0) == 3)
        for (int k = 0; k < 3; ++k) line[3 * c + k] = p[(k * h + r) * w + c];
      else
        line[c] = p[r * w + c];
    }
  }
  return img;
}

// The stages of a network with their output shapes (one image) and weight tensors.
nlohmann::json stages_of(Network& net, const std::vector<torch::Tensor>& golden) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t s = 0; s < net->size(); ++s) {
    FaultModel all;
    all.layers = {net->stage(s).name};
    all.tensors = {"weight", "bias", "bn"};
    nlohmann::json weights = nlohmann::json::array();
    for (const WeightSite& w : weight_sites(net, all))
      weights.push_back({{"name", w.name}, {"numel", w.tensor.numel()}, {"format", w.format.name()}});
    std::vector<int64_t> shape = golden[s].sizes().vec();
    shape.erase(shape.begin());
    out.push_back({{"name", net->stage(s).name}, {"kind", net->stage(s).kind}, {"shape", shape}, {"weights", weights}});
  }
  return out;
}

}  // namespace

ExplorerWorker::ExplorerWorker(QObject* parent) : QObject(parent) { qRegisterMetaType<nlohmann::json>(); }
ExplorerWorker::~ExplorerWorker() = default;

void ExplorerWorker::open(const nlohmann::json& doc, const QString& path, const QString& experiment, int thumbnails,
                          quint64 request) {
  try {
    explainer_.reset();
    explainer_image_ = -1;
    session_.reset();
    Project project = parse_project(doc, path.isEmpty() ? "untitled project" : path.toStdString());
    set_threads(project.threads);
    session_ = std::make_unique<ExplainSession>(project, experiment.toStdString());
    const Dataset& test = session_->test();
    const int64_t n = std::min<int64_t>(thumbnails, test.size());
    torch::InferenceMode guard;
    const torch::Tensor golden = session_->model()->forward(test.images.narrow(0, 0, n)).argmax(1);
    QList<QImage> thumbs;
    nlohmann::json labels = nlohmann::json::array(), preds = nlohmann::json::array();
    for (int64_t i = 0; i < n; ++i) {
      thumbs << thumbnail(test, i);
      labels.push_back(test.labels[i].item<int64_t>());
      preds.push_back(golden[i].item<int64_t>());
    }
    nlohmann::json classes = test.class_names;
    if (classes.empty())
      for (int64_t c = 0; c < test.num_classes; ++c) classes.push_back(std::to_string(c));
    nlohmann::json info = {{"experiment", experiment.toStdString()},
                           {"classes", classes},
                           {"test_size", test.size()},
                           {"labels", labels},
                           {"golden", preds},
                           {"protection", session_->protection()},
                           {"campaign_images", session_->campaign_images()},
                           {"worst", nullptr}};
    if (auto worst = session_->worst_stuck_trial())
      info["worst"] = {{"run", worst->run.id},
                       {"trial", worst->trial.trial},
                       {"params", worst->trial.params},
                       {"accuracy", worst->trial.accuracy}};
    Explainer& ex = explainer_for(0);
    info["stages"] = stages_of(session_->network(), ex.golden());
    stages_sent_for_ = explainer_protection_;
    Q_EMIT opened(request, info, thumbs);
  } catch (const std::exception& e) {
    session_.reset();
    Q_EMIT failed(request, error_text(e));
  }
}

Explainer& ExplorerWorker::explainer_for(int64_t image) {
  const std::string key = session_->protection().dump();
  if (!explainer_ || explainer_image_ != image || explainer_protection_ != key) {
    explainer_ = std::make_unique<Explainer>(session_->explainer({image}));
    explainer_image_ = image;
    explainer_protection_ = key;
  }
  return *explainer_;
}

void ExplorerWorker::explain(const nlohmann::json& request, quint64 id) {
  try {
    if (!session_) throw ConfigError("no experiment is open in the explorer");
    const auto start = std::chrono::steady_clock::now();
    const nlohmann::json protection = request.value("protection", nlohmann::json());
    session_->set_protection(protection.is_null() ? session_->experiment().protection_json : protection);
    const int64_t image = request.value("image", int64_t{0});
    Explainer& ex = explainer_for(image);
    const ExplainFault fault =
        session_->resolve(parse_explain_fault(request.value("fault", nlohmann::json()), "fault"));
    const Explanation e = ex.explain(fault);
    int stage = e.first_stage;
    if (request.contains("stage") && request["stage"].is_string()) {
      const int s = ex.net()->stage_index(request["stage"].get<std::string>());
      if (s >= 0) stage = s;
    }
    nlohmann::json out = e.to_json(5);
    out["image"] = image;
    out["label"] = session_->test().labels[image].item<int64_t>();
    out["protection"] = session_->protection();
    out["maps"] = feature_maps_json(e, stage);
    out["worst_channel"] = worst_channel(e, stage);
    nlohmann::json g = nlohmann::json::array(), f = nlohmann::json::array();
    for (int64_t c = 0; c < e.golden_probs.size(1); ++c) {
      g.push_back(e.golden_probs[0][c].item<double>());
      f.push_back(e.faulty_probs[0][c].item<double>());
    }
    out["probabilities"] = {{"golden", g}, {"faulty", f}};
    // The stages and tensors change with the protection (replicas, checker stages): sent when it did.
    if (stages_sent_for_ != explainer_protection_) {
      out["stage_list"] = stages_of(ex.net(), ex.golden());
      stages_sent_for_ = explainer_protection_;
    }
    out["elapsed_ms"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    Q_EMIT explained(id, out);
  } catch (const std::exception& e) {
    Q_EMIT failed(id, error_text(e));
  }
}

void ExplorerWorker::find_flipped(int limit, quint64 id) {
  try {
    if (!session_) throw ConfigError("no experiment is open in the explorer");
    const auto worst = session_->worst_stuck_trial();
    if (!worst) throw ConfigError("no complete stuck-at sweep of this experiment in the results database yet");
    const int64_t n = std::min<int64_t>(limit, session_->test().size());
    std::vector<int64_t> images(n);
    for (int64_t i = 0; i < n; ++i) images[i] = i;
    Explainer ex = session_->explainer(images);
    const Explanation e = ex.explain(worst->fault);
    QList<int> out;
    const torch::Tensor changed = e.faulty_pred.ne(e.golden_pred);
    for (int64_t i = 0; i < n; ++i)
      if (changed[i].item<bool>()) out << static_cast<int>(i);
    Q_EMIT flipped(id, out);
  } catch (const std::exception& e) {
    Q_EMIT failed(id, error_text(e));
  }
}

}  // namespace faultscape::gui
