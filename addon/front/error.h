// Failures of the native front end. An Error is what the TypeScript side throws as a TsrunError or SysError:
// its message is printed as is (runc's wording, which engines match) and the exit status is 1.
// Delegation is not a failure: the front hands the call to tsrun-js, which is only allowed before the first
// side effect (see side_effects_begin).
#pragma once
#include <stdexcept>
#include <string>

namespace front {

struct Error : std::runtime_error {
  Error(const std::string& msg, int err, const char* step) : std::runtime_error(msg), err(err), step(step) {}
  int err;           // errno, 0 when the failure is not a syscall's
  const char* step;  // what was being done ("open", "kill", "flock", ...); "" for runtime-level errors
};

// The one error helper: `what` alone, or with a syscall's errno "what: <runc's lowercase errno words>".
[[noreturn]] void fail(const std::string& what, int err = 0, const char* step = "");

// Go's (runc's) strerror wording for errno, as src/errors.ts has it.
std::string errno_words(int err);

// Thrown to hand the call to the JavaScript implementation unchanged.
struct Delegate {
  std::string why;
  std::string command;  // the command tsrun-js will run ("create", ...) when the front has none such, else ""
};
[[noreturn]] void delegate(const std::string& why);

// Called right before the first thing that changes the world (a lock, a signal, a write, an unlink):
// from then on delegating would run the command twice, so delegate() becomes an internal error.
void side_effects_begin();

}  // namespace front
