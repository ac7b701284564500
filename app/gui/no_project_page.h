// What the central area shows while no project is open (the start-up project could not be read):
// why, and the two ways out, instead of forms bound to no project.
#pragma once
#include <QWidget>

class QLabel;

namespace faultscape::gui {

class NoProjectPage : public QWidget {
  Q_OBJECT
 public:
  explicit NoProjectPage(QWidget* parent = nullptr);
  // The reason shown under the heading (the last open error), or empty.
  void set_reason(const QString& reason);
  QString text() const;

 Q_SIGNALS:
  void new_requested();
  void open_requested();

 private:
  QLabel* reason_;
};

}  // namespace faultscape::gui
