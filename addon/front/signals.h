// kill's signal argument as src/runtime/signals.ts parseSignal reads it: a number 1-64, or a name with or
// without SIG in any case, from Node's table of signal names.
#pragma once
#include <string>

namespace front {

int parse_signal(const std::string& s);

}  // namespace front
