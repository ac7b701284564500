// Typed errors of the engine. Every message names the file, field, value or tensor at fault,
// so the CLI can print it on one line and the GUI can show it in a dialog.
#pragma once
#include <stdexcept>
#include <string>

namespace faultscape {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A dataset file that is missing, truncated or not in the expected format.
struct DataError : Error {
  using Error::Error;
};
// A project file or option whose value is invalid; the message starts with its JSON path.
struct ConfigError : Error {
  using Error::Error;
};
// An unknown model, a model file that cannot be loaded, a shape that does not fit.
struct ModelError : Error {
  using Error::Error;
};
// The results database could not be opened or written.
struct StoreError : Error {
  using Error::Error;
};
// Thrown between batches or trials when the user asked to stop. Not a failure, so deliberately
// outside the error hierarchy (and outside std::exception): `catch (const Error&)` or
// `catch (const std::exception&)` never swallows a cancel; catch it by name.
struct Cancelled {
  const char* what() const noexcept { return "cancelled"; }
};

}  // namespace faultscape
