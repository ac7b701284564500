// Running faultscape-cli from a test: the process's exit, output and a check that a failure is one
// clean "error: ..." line.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <QProcess>
#include <QtTest>

#ifndef FAULTSCAPE_CLI
#error "FAULTSCAPE_CLI must name the faultscape-cli binary"
#endif

namespace faultscape::test {

struct CliResult {
  int exit_code = -1;
  bool crashed = false;  // ended by a signal
  QString out, err;
  QStringList err_lines() const { return err.split('\n', Qt::SkipEmptyParts); }
  QStringList out_lines() const { return out.split('\n', Qt::SkipEmptyParts); }
  QString describe() const {
    return QString("exit %1%2\nstdout:\n%3\nstderr:\n%4").arg(exit_code).arg(crashed ? " (crashed)" : "").arg(out, err);
  }
};

inline CliResult finish(QProcess& p, int timeout_ms = 120000) {
  CliResult r;
  if (!p.waitForFinished(timeout_ms)) {
    p.kill();
    p.waitForFinished();
    r.err = "timed out: " + p.arguments().join(' ');
    return r;
  }
  r.crashed = p.exitStatus() != QProcess::NormalExit;
  r.exit_code = p.exitCode();
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

inline CliResult run_cli(const std::filesystem::path& dir, const QStringList& args, int timeout_ms = 120000) {
  QProcess p;
  p.setWorkingDirectory(QString::fromStdString(dir.string()));
  p.start(FAULTSCAPE_CLI, args);
  if (!p.waitForStarted(10000)) {
    CliResult r;
    r.err = "could not start " + QString(FAULTSCAPE_CLI);
    return r;
  }
  return finish(p, timeout_ms);
}

// A failure: non-zero exit, no crash, and the last stderr line is "error: ..." containing every needle.
inline bool is_clean_error(const CliResult& r, const QStringList& needles) {
  bool ok = !r.crashed && r.exit_code != 0 && r.exit_code != -1;
  const QStringList lines = r.err_lines();
  ok = ok && !lines.isEmpty() && lines.back().startsWith("error: ");
  for (const auto& n : needles) ok = ok && !lines.isEmpty() && lines.back().contains(n);
  if (!ok) qWarning("%s", qPrintable(r.describe() + "\nexpected: " + needles.join(" | ")));
  return ok;
}

inline void write_text(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

}  // namespace faultscape::test
