#include "project_document.h"

#include <QSaveFile>

#include "engine_bridge.h"

namespace faultscape::gui {
namespace {

using nlohmann::json;

// One JSON-pointer assignment; undo restores the previous value (or absence).
class SetValueCommand : public QUndoCommand {
 public:
  // `after` discarded = remove the key.
  SetValueCommand(ProjectDocument* doc, std::string pointer, json before, bool existed, json after, const QString& text,
                  bool merge)
      : doc_(doc),
        pointer_(std::move(pointer)),
        before_(std::move(before)),
        existed_(existed),
        after_(std::move(after)),
        merge_(merge) {
    setText(text);
  }
  void redo() override { doc_->apply(pointer_, after_); }
  void undo() override { doc_->apply(pointer_, existed_ ? before_ : json(json::value_t::discarded)); }
  int id() const override { return 1; }
  bool mergeWith(const QUndoCommand* other) override {
    auto* o = static_cast<const SetValueCommand*>(other);
    if (!merge_ || !o->merge_ || o->pointer_ != pointer_) return false;
    after_ = o->after_;
    return true;
  }

 private:
  ProjectDocument* doc_;
  std::string pointer_;
  json before_;
  bool existed_;
  json after_;
  bool merge_;
};

}  // namespace

ProjectDocument::ProjectDocument(QObject* parent) : QObject(parent) {}

json ProjectDocument::value(const std::string& pointer) const {
  const json::json_pointer p(pointer);
  return doc_.contains(p) ? doc_.at(p) : json();
}

void ProjectDocument::set(const std::string& pointer, const json& v, const QString& description, bool merge) {
  const json::json_pointer p(pointer);
  const bool existed = doc_.contains(p);
  if (existed && doc_.at(p) == v) return;
  const QString text = description.isEmpty() ? tr("Edit %1").arg(QString::fromStdString(pointer)) : description;
  stack_.push(new SetValueCommand(this, pointer, existed ? doc_.at(p) : json(), existed, v, text, merge));
}

void ProjectDocument::remove(const std::string& pointer, const QString& description) {
  const json::json_pointer p(pointer);
  if (!doc_.contains(p)) return;
  const QString text = description.isEmpty() ? tr("Remove %1").arg(QString::fromStdString(pointer)) : description;
  stack_.push(new SetValueCommand(this, pointer, doc_.at(p), true, json(json::value_t::discarded), text, false));
}

void ProjectDocument::apply(const std::string& pointer, const json& v) {
  const json::json_pointer p(pointer);
  if (v.is_discarded()) {
    // Undo of a key that did not exist: remove it again.
    json& parent = doc_.at(p.parent_pointer());
    if (parent.is_object()) parent.erase(p.back());
  } else {
    doc_[p] = v;
  }
  Q_EMIT changed(QString::fromStdString(pointer));
}

void ProjectDocument::reset(const json& doc, const QString& path) {
  doc_ = doc;
  stack_.clear();
  stack_.setClean();
  if (path != path_) {
    path_ = path;
    Q_EMIT path_changed(path_);
  }
  Q_EMIT reloaded();
}

bool ProjectDocument::open(const QString& path, QString* error) {
  json doc;
  if (!read_project_document(path, &doc, error)) return false;  // the document stays as it was
  reset(doc, path);
  return true;
}

bool ProjectDocument::save(const QString& path, QString* error) {
  QSaveFile f(path);
  const QByteArray text = QByteArray::fromStdString(doc_.dump(2) + "\n");
  if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size() || !f.commit()) {
    *error = path + ": " + f.errorString();
    return false;
  }
  stack_.setClean();
  if (path != path_) {
    path_ = path;
    Q_EMIT path_changed(path_);
  }
  return true;
}

json new_project_json() {
  return {{"name", "untitled"},
          {"seed", 1},
          {"threads", 0},
          {"output_dir", "results"},
          {"experiments",
           {{{"name", "experiment-1"},
             {"dataset", {{"name", "fashion-mnist"}}},
             {"model", {{"name", "lenet5"}, {"weight_bits", "float"}, {"act_bits", "float"}}},
             {"training", {{"epochs", 1}, {"batch_size", 64}, {"optimizer", "adam"}, {"lr", 0.001}}}}}}};
}

}  // namespace faultscape::gui
