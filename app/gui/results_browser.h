// The runs in the project's results database: filtered by text and kind, opened into the figures,
// two of them compared side by side, or exported as CSV. Reads SQLite directly (WAL mode lets it
// read while the engine writes); no forward pass is involved. "Follow" reads the database again
// whenever it changes (polled every 2 s), so a run written by another process (MPI rank 0, a merge
// of Slurm shards, another faultscape-cli) shows its trials arriving.
#pragma once
#include <nlohmann/json.hpp>

#include <QWidget>

class QCheckBox;
class QComboBox;
class QTimer;
class QLabel;
class QLineEdit;
class QTableWidget;
class QTextBrowser;

namespace faultscape::gui {

class ResultsBrowser : public QWidget {
  Q_OBJECT
 public:
  explicit ResultsBrowser(QWidget* parent = nullptr);
  void set_database(const QString& path);
  QString database() const { return db_; }
  QTableWidget* table() const { return table_; }
  int visible_rows() const;
  QCheckBox* follow() const { return follow_; }
  // While a run is going, an empty database reads "being written", not "no results yet".
  void set_running(bool running);
  QString detail_text() const;

 public Q_SLOTS:
  void refresh();
  // Follow mode: refresh when the database (or its write-ahead log) changed since the last read.
  void poll();

 Q_SIGNALS:
  // The user asked to draw these runs: run JSON, trials, metrics per run.
  void open_runs(const nlohmann::json& runs);

 private:
  void apply_filter();
  void open_selected();
  void compare_selected();
  void export_selected();
  QList<qint64> selected_ids() const;

  QString db_;
  bool running_ = false;
  QString last_change_;  // size and modification times of the database and its log at the last read
  QLabel* path_;
  QLineEdit* filter_;
  QComboBox* kind_;
  QTableWidget* table_;
  QCheckBox* follow_;
  QTimer* timer_;
  QTextBrowser* detail_;
};

}  // namespace faultscape::gui
