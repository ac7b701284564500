// The data behind a figure as a table, written next to the figure so every plotted number can be
// checked or re-plotted elsewhere.
#pragma once
#include <QString>
#include <QStringList>
#include <QVector>

namespace faultscape::widgets {

struct CsvTable {
  QStringList header;
  QVector<QStringList> rows;

  void add(const QStringList& row) { rows.push_back(row); }
  QString to_text() const;  // RFC 4180 quoting, '\n' line ends
  // Writes atomically; false (and *error set) when the file cannot be written.
  bool write(const QString& path, QString* error = nullptr) const;
};

// Numbers in CSV: full precision, no locale.
QString csv_number(double v);

}  // namespace faultscape::widgets
