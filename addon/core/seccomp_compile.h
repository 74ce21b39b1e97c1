// Seccomp filter compilation with libseccomp, in the runtime (never in the container init): the init only
// loads the exported BPF program with seccomp(2).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tsrun {

struct SeccompArg {
  unsigned index;
  int op;  // SCMP_CMP_*
  uint64_t value, value_two;
};

struct SeccompRuleSpec {
  std::string name;
  uint32_t action;
  std::vector<SeccompArg> args;
};

// Compiles the filter the way runc does: `archs` are libseccomp names ("x86_64", "x32", ...) added to the
// native one; a rule whose action is the default action is dropped; a name libseccomp does not know goes to
// `skipped`; several conditions on one argument index become one rule per condition. Unless the default
// action lets syscalls through (ALLOW, LOG, TRACE) or already is ERRNO(ENOSYS), runc's -ENOSYS stub is
// prepended: syscalls newer than the newest one the profile names get ENOSYS instead of the default action,
// so that libc falls back from syscalls the profile predates.
//
// Fills `program` with the BPF instructions (struct sock_filter, host endianness). On failure returns false
// with `err` naming what failed (e.g. `seccomp_rule_add "mkdir"`) and `code` an errno value.
bool compile_seccomp(uint32_t default_action, const std::vector<std::string>& archs,
                     const std::vector<SeccompRuleSpec>& rules, std::vector<uint8_t>* program,
                     std::vector<std::string>* skipped, std::string* err, int* code);

}  // namespace tsrun
