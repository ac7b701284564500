// SIGINT and SIGTERM as a cancel: the first sets the stop token the engine polls between batches
// and trials (the same token the workbench's Cancel sets), so the current batch or trial ends, what
// was measured is committed and the run is marked "cancelled"; main then exits 130 (SIGINT) or
// 143 (SIGTERM). A second SIGINT exits at once with 130 (committed trials are kept; the run is
// then shown "interrupted" and resumed by the next run).
#pragma once
#include "common/observer.h"

namespace faultscape::cli {

void install_signal_handlers();
const StopToken& signal_stop_token();
int stop_signal();  // the first signal received, 0 when none
// The exit status for a run stopped by a signal: 128 + its number (130 SIGINT, 143 SIGTERM).
int signal_exit_code();

}  // namespace faultscape::cli
