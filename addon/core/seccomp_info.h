// libseccomp lives in the core so that both the addon and the launcher link the same library version.
#pragma once
#include <string>

namespace tsrun {

// "major.minor.micro" of the libseccomp linked in.
std::string libseccomp_version();

}  // namespace tsrun
