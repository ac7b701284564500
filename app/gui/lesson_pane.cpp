#include "lesson_pane.h"

#include <QPushButton>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace faultscape::gui {

LessonPane::LessonPane(QWidget* parent) : QWidget(parent) {
  auto* box = new QVBoxLayout(this);
  text_ = new QTextBrowser;
  text_->setOpenExternalLinks(false);
  show_ = new QPushButton(tr("Show the lesson's fault in the explorer"));
  box->addWidget(text_, 1);
  box->addWidget(show_);
  connect(show_, &QPushButton::clicked, this, [this] {
    if (!has_lesson()) return;
    nlohmann::json preset = nlohmann::json::object();
    for (const char* key : {"image", "fault", "protection", "stage"})
      if (lesson_.contains(key)) preset[key] = lesson_[key];
    Q_EMIT preset_requested(preset);
  });
  set_lesson(nullptr);
}

void LessonPane::set_lesson(const nlohmann::json& lesson) {
  lesson_ = lesson.is_object() ? lesson : nlohmann::json();
  show_->setVisible(has_lesson() && lesson_.contains("fault"));
  if (!has_lesson()) {
    text_->setHtml(
        tr("<p>This project is not a lesson. The guided lessons are in <code>projects/lessons/</code>: "
           "open one with File → Open.</p>"));
    return;
  }
  // Paragraphs are plain text; a line starting with "- " is a list item.
  QString html = "<h2>" + QString::fromStdString(lesson_.value("title", "")).toHtmlEscaped() + "</h2>";
  bool in_list = false;
  for (const auto& p : lesson_.value("text", nlohmann::json::array())) {
    const QString t = QString::fromStdString(p.get<std::string>()).toHtmlEscaped();
    if (t.startsWith("- ")) {
      if (!in_list) html += "<ul>";
      in_list = true;
      html += "<li>" + t.mid(2) + "</li>";
      continue;
    }
    if (in_list) html += "</ul>";
    in_list = false;
    html += "<p>" + t + "</p>";
  }
  if (in_list) html += "</ul>";
  text_->setHtml(html);
}

QString LessonPane::text() const { return text_->toPlainText(); }

}  // namespace faultscape::gui
