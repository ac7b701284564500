// The explanation pane of a guided lesson (the project's "lesson": title, paragraphs, and the
// explorer preset it starts from): what the lesson shows, which figures to look at, what to try.
#pragma once
#include <nlohmann/json.hpp>

#include <QWidget>

class QPushButton;
class QTextBrowser;

namespace faultscape::gui {

class LessonPane : public QWidget {
  Q_OBJECT
 public:
  explicit LessonPane(QWidget* parent = nullptr);
  // null: no lesson (the pane says how to open one).
  void set_lesson(const nlohmann::json& lesson);
  const nlohmann::json& lesson() const { return lesson_; }
  bool has_lesson() const { return lesson_.is_object(); }
  QString text() const;

 Q_SIGNALS:
  // "Show in the explorer": the lesson's preset ({"image", "fault", "protection", "stage"}).
  void preset_requested(const nlohmann::json& preset);

 private:
  nlohmann::json lesson_;
  QTextBrowser* text_;
  QPushButton* show_;
};

}  // namespace faultscape::gui
