// The Fault explorer: one test image, one fault, and what the fault does stage by stage. Image
// picker (thumbnails, filters), golden and faulty top-5, a fault picker with the stored word drawn
// as bits (a click flips one), the experiment's protection schemes as toggles with their checker
// counts, and golden / faulty / difference feature maps, the error propagation chart and the class
// probabilities. Every change is computed by the ExplorerWorker on the engine thread.
#pragma once
#include <nlohmann/json.hpp>

#include <QImage>
#include <QLabel>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QListWidget;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QThread;

namespace faultscape::widgets {
class BitWordView;
class FeatureMapPlot;
class PropagationPlot;
class ProbabilityPlot;
}  // namespace faultscape::widgets

namespace faultscape::gui {

class ExplorerWorker;

class FaultExplorer : public QWidget {
  Q_OBJECT
 public:
  // The worker is moved to `engine_thread` (the engine worker's thread).
  explicit FaultExplorer(QThread* engine_thread, QWidget* parent = nullptr);
  ~FaultExplorer() override;

  // The experiment to explore; opened (model loaded, reused or trained) when the view is shown.
  void set_experiment(const nlohmann::json& doc, const QString& path, const QString& experiment);
  // Presets from a lesson or a test: {"image", "fault", "protection", "stage"} (each optional).
  void apply_preset(const nlohmann::json& preset);

  void set_image(int index);
  int image() const { return image_; }
  void set_fault(const nlohmann::json& fault);  // fills the fault picker
  nlohmann::json fault() const;                 // the picker's fault
  // Toggles: the experiment's schemes by position, and TMR added on the fault's layer.
  void set_scheme_enabled(int index, bool on);
  void set_tmr_on_fault_layer(bool on);
  nlohmann::json protection() const;
  void replay(qint64 run, qint64 trial);
  enum class Filter { All, Misclassified, Flipped, Class };
  void set_filter(Filter filter, int cls = 0);
  QList<int> shown_images() const;  // the thumbnails the filter keeps

  bool is_open() const { return open_; }
  const nlohmann::json& info() const { return info_; }
  const nlohmann::json& result() const { return result_; }  // the last explanation shown
  QString error() const { return error_->text(); }
  widgets::BitWordView* word_view() const { return word_; }
  widgets::PropagationPlot* propagation() const { return propagation_; }
  widgets::FeatureMapPlot* feature_maps() const { return maps_; }
  widgets::ProbabilityPlot* probabilities() const { return probs_; }
  QTableWidget* checker_table() const { return checkers_; }
  QListWidget* image_list() const { return images_; }

 Q_SIGNALS:
  void opened();
  void updated();  // a new explanation is shown
  void failed(const QString& error);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void build();
  void open_now();
  void request_update();
  void on_opened(quint64 request, const nlohmann::json& info, const QList<QImage>& thumbs);
  void on_explained(quint64 id, const nlohmann::json& result);
  void on_failed(quint64 id, const QString& error);
  void fill_stages(const nlohmann::json& stages);
  void fill_tensors();
  void refill_images();
  void update_fault_controls();
  void show_result();
  QString class_name(int64_t c) const;

  ExplorerWorker* worker_;
  nlohmann::json doc_;
  QString path_, experiment_;
  bool open_ = false, opening_ = false, dirty_ = false, filling_ = false;
  quint64 next_id_ = 1, open_request_ = 0, latest_ = 0, flipped_request_ = 0;
  nlohmann::json info_, result_, stages_ = nlohmann::json::array(), pending_preset_;
  QList<QImage> thumbs_;
  QList<int> flipped_;
  int image_ = 0;
  nlohmann::json replay_;  // {"replay": ...} while a stored trial is shown

  QListWidget* images_;
  QComboBox *filter_, *class_;
  QLabel *golden_label_, *faulty_label_, *status_, *error_;
  QComboBox *target_, *layer_, *tensor_, *where_, *mode_, *stage_;
  QSpinBox *index_, *channel_, *row_, *column_, *element_, *bit_, *run_, *trial_, *map_channel_;
  QDoubleSpinBox* value_;
  QPushButton* replay_button_;
  QListWidget* schemes_;
  QCheckBox* tmr_here_;
  QTableWidget* checkers_;
  widgets::BitWordView* word_;
  widgets::FeatureMapPlot* maps_;
  widgets::PropagationPlot* propagation_;
  widgets::ProbabilityPlot* probs_;
};

}  // namespace faultscape::gui
