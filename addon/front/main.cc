// tsrun: the native front end. Users and engines run it as `tsrun`. It answers the frequent verbs (state, start,
// kill, delete, list, ps --format json) itself, the way crun does, and hands every other call — other verbs,
// help, version, usage errors, and the cases listed in README.md ("The native front end") — to the JavaScript
// implementation tsrun-js beside it, unchanged and before doing anything. TSRUN_FRONT=js forces that.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "args.h"
#include "cgroup_warm.h"
#include "error.h"
#include "exec_js.h"
#include "files.h"
#include "log.h"
#include "verbs.h"

using namespace front;

namespace {

// TSRUN_FRONT_TRACE=<file> (tests): one line per call saying which side answered it.
void trace(const std::string& what) {
  const char* path = getenv("TSRUN_FRONT_TRACE");
  if (!path || !*path) return;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  write_all(fd, what + "\n");
  close(fd);
}

// Node opens /dev/null on a closed fd 0-2 at start-up; so does the front, so that the log file or a directory
// fd never becomes "stdout".
void ensure_stdio() {
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
      int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
      if (n >= 0 && n != fd) close(n);
    }
}

int run(const Args& a) {
  switch (a.verb) {
    case Verb::State: return verb_state(a);
    case Verb::Start: return verb_start(a);
    case Verb::Kill: return verb_kill(a);
    case Verb::Delete: return verb_delete(a);
    case Verb::List: return verb_list(a);
    case Verb::Ps: return verb_ps(a);
  }
  return 1;
}

// The call is tsrun-js's. The container's process will be moved into its cgroup: the kernel's wait for that can
// pass while tsrun-js starts (on v1, and for exec on v2; a create on pure v2 clones straight into the cgroup).
[[noreturn]] void hand_over(const Delegate& d, char** argv) {
  bool warmed =
      (d.command == "create" || d.command == "run" || d.command == "exec") && warm_cgroup_migration(d.command == "exec");
  trace("delegate: " + d.why + (warmed ? " (cgroup move started)" : ""));
  exec_js(argv);
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = getenv("TSRUN_FRONT");
  if (mode && strcmp(mode, "js") == 0) exec_js(argv);
  try {
    Args a = parse_args(argc, argv);
    if (a.not_native) hand_over(*a.not_native, argv);
    // TSRUN_STACK with --debug: the JS side logs its stack traces, which only it has.
    const char* stack = getenv("TSRUN_STACK");
    if (a.debug && stack && *stack) delegate("TSRUN_STACK with --debug");
    ensure_stdio();
    // The log file is opened first, as the JS CLI does (it gets the error even of a bad call). Creating it is not
    // counted as a side effect: tsrun-js would create the same file first thing if the call is delegated.
    try {
      log_open(a.log, a.log_json);  // --debug adds nothing: the native verbs log no debug lines
    } catch (const Error& e) {
      write_all(2, std::string(e.what()) + "\n");
      return 1;
    }
    // Node ignores SIGPIPE: a closed stdout is a write error, not a death. Set only once native (it would be
    // inherited through execve).
    signal(SIGPIPE, SIG_IGN);
    int status;
    try {
      status = run(a);
    } catch (const Error& e) {
      log_fatal(e.what());
      status = 1;
    }
    trace("native");
    return status;
  } catch (const Delegate& d) {
    hand_over(d, argv);
  } catch (const std::exception& e) {
    fprintf(stderr, "tsrun: internal error: %s\n", e.what());
    return 1;
  }
}
