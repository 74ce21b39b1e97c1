#include "exec_js.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

#include "error.h"

extern char** environ;

namespace front {

void exec_js(char** argv) {
  char self[PATH_MAX];
  // realpath: the front may be reached through a symlink (/usr/local/bin/tsrun); tsrun-js sits beside the file.
  if (!realpath("/proc/self/exe", self)) {
    fprintf(stderr, "tsrun: cannot find its own executable: %s\n", errno_words(errno).c_str());
    _exit(1);
  }
  std::string js(self);
  js = js.substr(0, js.rfind('/') + 1) + "tsrun-js";
  // A tsrun call is short: JavaScriptCore's JIT threads cost more (~4-8 ms of create on 2 cores) than they win.
  // The marker tells tsrun-js to take the variable out again, so that nothing it starts inherits it.
  if (getenv("BUN_JSC_useJIT") == nullptr) {
    setenv("BUN_JSC_useJIT", "0", 0);
    setenv("TSRUN_FRONT_SET_JIT", "1", 1);
  }
  execve(js.c_str(), argv, environ);
  int err = errno;
  fprintf(stderr, "tsrun: cannot run the JavaScript implementation %s (needed for this command): %s\n", js.c_str(),
          errno_words(err).c_str());
  _exit(1);
}

}  // namespace front
