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

// Fills `program` with the BPF instructions; unknown syscall names go to `skipped`. Returns false with `err`
// set (and errno-like `code`) on failure.
bool compile_seccomp(uint32_t default_action, const std::vector<std::string>& archs,
                     const std::vector<SeccompRuleSpec>& rules, std::vector<uint8_t>* program,
                     std::vector<std::string>* skipped, std::string* err, int* code);

}  // namespace tsrun
