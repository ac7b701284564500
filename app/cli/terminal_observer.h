// Progress reporting for the terminal: a redrawn bar with ETA on a TTY, plain lines otherwise.
// Everything goes to stderr so that stdout stays clean for --json.
#pragma once
#include <chrono>
#include <string>

#include "common/observer.h"

namespace faultscape::cli {

class TerminalObserver : public Observer {
 public:
  explicit TerminalObserver(bool quiet = false);
  ~TerminalObserver() override;
  void on_progress(const Progress& p) override;
  void on_result(RecordKind kind, const nlohmann::json& record) override;
  void on_log(const std::string& line) override;

 private:
  void end_bar();
  bool tty_;
  bool quiet_;
  bool bar_open_ = false;
  int last_percent_ = -1;
  std::chrono::steady_clock::time_point last_draw_{};
};

std::string format_duration(double seconds);  // "1:05" or "1:02:03"

}  // namespace faultscape::cli
