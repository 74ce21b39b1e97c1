// Handing a call to the JavaScript implementation: tsrun-js beside the front's real path, same argv and
// environment. The front has done nothing by then (see error.h).
#pragma once

namespace front {

[[noreturn]] void exec_js(char** argv);

}  // namespace front
