#include "seccomp_info.h"

#include <seccomp.h>

namespace tsrun {

std::string libseccomp_version() {
  const struct scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

bool libseccomp_knows_arch(const std::string& name) { return seccomp_arch_resolve_name(name.c_str()) != 0; }

}  // namespace tsrun
