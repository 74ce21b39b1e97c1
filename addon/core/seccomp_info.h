// libseccomp lives in the core so that both the addon and the launcher link the same library version.
#pragma once
#include <string>

namespace tsrun {

// "major.minor.micro" of the libseccomp linked in.
std::string libseccomp_version();

// Whether the linked libseccomp knows the architecture (seccomp_arch_resolve_name, e.g. "x86_64").
bool libseccomp_knows_arch(const std::string& name);

}  // namespace tsrun
