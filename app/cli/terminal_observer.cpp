#include "cli/terminal_observer.h"

#include <unistd.h>

#include <cstdio>

namespace faultscape::cli {

TerminalObserver::TerminalObserver(bool quiet) : tty_(isatty(STDERR_FILENO) != 0), quiet_(quiet) {}

TerminalObserver::~TerminalObserver() { end_bar(); }

std::string format_duration(double seconds) {
  long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

void TerminalObserver::end_bar() {
  if (bar_open_) std::fputc('\n', stderr);
  bar_open_ = false;
}

void TerminalObserver::on_progress(const Progress& p) {
  if (quiet_ || p.total <= 0) return;
  double frac = static_cast<double>(p.done) / p.total;
  int percent = static_cast<int>(100 * frac);
  std::string eta = p.done > 0 ? format_duration(p.elapsed_s * (1 - frac) / frac) : "?";
  if (!tty_) {
    // Plain lines for logs and pipes: one every 10 %.
    if (percent / 10 != last_percent_ / 10 || p.done == p.total)
      std::fprintf(stderr, "%s %3d%% (%lld/%lld) ETA %s %s\n", p.phase.c_str(), percent, static_cast<long long>(p.done),
                   static_cast<long long>(p.total), eta.c_str(), p.message.c_str());
    last_percent_ = percent;
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (p.done != p.total && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const int width = 30;
  int filled = static_cast<int>(width * frac);
  std::string bar(filled, '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r%-6s [%s] %3d%% %s elapsed, ETA %s  %s\033[K", p.phase.c_str(), bar.c_str(), percent,
               format_duration(p.elapsed_s).c_str(), eta.c_str(), p.message.c_str());
  std::fflush(stderr);
  bar_open_ = true;
}

void TerminalObserver::on_result(RecordKind kind, const nlohmann::json& r) {
  if (quiet_) return;
  if (kind == RecordKind::Epoch) {
    end_bar();
    std::fprintf(stderr, "epoch %d: loss %.4f, train %.2f %%, test %.2f %%, %.0f images/s\n", r.at("epoch").get<int>(),
                 r.at("loss").get<double>(), r.at("train_accuracy").get<double>(), r.at("test_accuracy").get<double>(),
                 r.at("images_per_second").get<double>());
  }
}

void TerminalObserver::on_log(const std::string& line) {
  if (quiet_) return;
  end_bar();
  std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace faultscape::cli
