#include "cli/signals.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

namespace faultscape::cli {
namespace {

StopToken g_stop;
std::atomic<int> g_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "the handler may only touch lock-free atomics");

// Async-signal-safe only: atomics, write(2), _exit(2).
void on_signal(int sig) {
  int expected = 0;
  if (!g_signal.compare_exchange_strong(expected, sig)) {
    if (sig == SIGINT) _exit(128 + SIGINT);  // the second Ctrl-C: the user does not want to wait
    return;
  }
  g_stop.cancel.store(true);
  const char text[] = "\nstopping after the current batch or trial (Ctrl-C again to quit at once)\n";
  if (write(STDERR_FILENO, text, sizeof text - 1) < 0) {}
}

}  // namespace

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

const StopToken& signal_stop_token() { return g_stop; }

int stop_signal() { return g_signal.load(); }

int signal_exit_code() { return 128 + (stop_signal() ? stop_signal() : SIGINT); }

}  // namespace faultscape::cli
