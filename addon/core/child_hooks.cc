// The init's hook runner (createContainer and startContainer hooks).
#include "child_internal.h"

namespace tsrun {
namespace init {
// Runs the hooks of one phase in the container's namespaces: each one a child with the state JSON on its
// stdin (a socket, so that a hook that does not read it cannot raise SIGPIPE here), waited for on its pidfd
// with its timeout. Any failure fails the container, as runc does.
// createContainer hooks are host binaries running in the container's namespaces, so /proc/<pid>/exe of one
// leads to a host file, as for runc; unlike the launcher's image (core/exe_seal.h) they are not sealed: that
// link is guarded by the same check as /proc/<pid>/root, still the host's root before pivot_root, and the
// hook has the init's whole capability set, so a process of a joined pid namespace that passes the check
// (all those capabilities or CAP_SYS_PTRACE, no user namespace) reaches every host file anyway. A hook given
// as a script would bring its host interpreter along too. startContainer hooks are the container's own files.
void run_hooks(uint32_t phase) {
  const Plan& p = *g->plan;
  const HookState* st = nullptr;
  for (const HookState& t : p.hook_states)
    if (t.phase == phase) st = &t;
  char pidbuf[24];
  size_t pidlen = fmt_u64(pidbuf, static_cast<uint64_t>(getpid()));
  for (size_t i = 0; i < p.hooks.size(); i++) {
    const PlanHook& h = p.hooks[i];
    if (h.phase != phase) continue;
    int32_t idx = static_cast<int32_t>(i);
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) fail(Step::HOOK, errno, idx);
    int pidfd = -1;
    struct clone_args ca = {};
    ca.flags = CLONE_PIDFD;
    ca.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    ca.exit_signal = SIGCHLD;
    long pid = sys_clone3(&ca);
    if (pid < 0) fail(Step::HOOK, errno, idx);
    if (pid == 0) {
      if (dup2(sp[1], 0) < 0) _exit(126);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      execve(h.path, const_cast<char* const*>(h.argv.data()), const_cast<char* const*>(h.envp.data()));
      _exit(127);
    }
    close(sp[1]);
    if (st != nullptr) {
      send(sp[0], st->before, str_len(st->before), MSG_NOSIGNAL);
      send(sp[0], pidbuf, pidlen, MSG_NOSIGNAL);
      send(sp[0], st->after, str_len(st->after), MSG_NOSIGNAL);
    }
    close(sp[0]);
    struct pollfd pfd = {pidfd, POLLIN, 0};
    int timeout = h.timeout > 0 ? static_cast<int>(h.timeout * 1000) : -1;
    int r;
    do r = poll(&pfd, 1, timeout);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
      kill(static_cast<pid_t>(pid), SIGKILL);
      waitpid(static_cast<pid_t>(pid), nullptr, 0);
      fail(Step::HOOK, ETIMEDOUT, idx);
    }
    int status = 0;
    if (waitpid(static_cast<pid_t>(pid), &status, 0) < 0) fail(Step::HOOK, errno, idx);
    close(pidfd);
    if (status != 0) died(Step::HOOK, status, idx);
  }
}

}  // namespace init
}  // namespace tsrun
