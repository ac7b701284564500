#include "csv_table.h"

#include <QSaveFile>

#include <cmath>

namespace faultscape::widgets {
namespace {

QString quoted(const QString& cell) {
  if (!cell.contains(',') && !cell.contains('"') && !cell.contains('\n')) return cell;
  QString q = cell;
  q.replace("\"", "\"\"");
  return "\"" + q + "\"";
}

QString line(const QStringList& cells) {
  QStringList out;
  for (const QString& c : cells) out << quoted(c);
  return out.join(',') + "\n";
}

}  // namespace

QString CsvTable::to_text() const {
  QString text = line(header);
  for (const QStringList& r : rows) text += line(r);
  return text;
}

bool CsvTable::write(const QString& path, QString* error) const {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Text) || f.write(to_text().toUtf8()) < 0 || !f.commit()) {
    if (error) *error = path + ": " + f.errorString();
    return false;
  }
  return true;
}

QString csv_number(double v) {
  if (std::isnan(v)) return "";
  return QString::number(v, 'g', 10);
}

}  // namespace faultscape::widgets
