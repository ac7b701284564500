// The Fault explorer's engine side: an experiment opened for explaining faults (core/explain), on
// the engine worker's thread. Requests arrive as queued calls and answers leave as queued signals
// tagged with the caller's request id, so the window never waits and ignores superseded answers.
// Only explorer_worker.cpp includes LibTorch headers.
#pragma once
#include <nlohmann/json.hpp>

#include <QImage>
#include <QList>
#include <QObject>
#include <QString>
#include <memory>

namespace faultscape {
class ExplainSession;
class Explainer;
}  // namespace faultscape

namespace faultscape::gui {

class ExplorerWorker : public QObject {
  Q_OBJECT
 public:
  explicit ExplorerWorker(QObject* parent = nullptr);
  ~ExplorerWorker() override;

  // Worker thread. Opens an experiment of the document (its model loaded, reused or trained as a
  // run would) and answers opened() with its classes, stages, protection, worst stored stuck-at
  // trial and the first `thumbnails` test images with their golden predictions.
  void open(const nlohmann::json& doc, const QString& path, const QString& experiment, int thumbnails, quint64 request);
  // Worker thread. request: {"image": N, "fault": {...}, "protection": [...] (null: the
  // experiment's), "stage": name (feature maps; null: the first faulty stage)}.
  void explain(const nlohmann::json& request, quint64 id);
  // Worker thread. Test images (of the first `limit`) whose prediction the worst stored stuck-at
  // trial's fault changes.
  void find_flipped(int limit, quint64 id);

 Q_SIGNALS:
  void opened(quint64 request, const nlohmann::json& info, const QList<QImage>& thumbnails);
  void explained(quint64 id, const nlohmann::json& result);
  void flipped(quint64 id, const QList<int>& images);
  void failed(quint64 id, const QString& error);

 private:
  Explainer& explainer_for(int64_t image);

  std::unique_ptr<ExplainSession> session_;
  std::unique_ptr<Explainer> explainer_;  // of one image under one protection (its golden pass cached)
  int64_t explainer_image_ = -1;
  std::string explainer_protection_;
  std::string stages_sent_for_;  // the protection whose stage list the window has
};

}  // namespace faultscape::gui
