// kill: signal the init, or with --all every process of the container (src/runtime/kill.ts). Without its own
// pid namespace SIGKILL reaches the whole cgroup, even once the init is gone; a paused container is thawed
// after SIGKILL so that it can die.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "cgroup.h"
#include "error.h"
#include "proc.h"
#include "signals.h"
#include "state_dir.h"
#include "verbs.h"

namespace front {

namespace {

// sendSignal, through a pidfd checked to be the recorded init (a recycled pid is never signalled).
void signal_init(const ContainerState& st, int sig) {
  tsrun::Fd pidfd = pidfd_of(st.pid, st.pid_start_time);
  if (!pidfd.valid()) fail("container not running");
  if (syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) != 0) {
    if (errno == ESRCH) fail("container not running");
    fail("kill", errno, "kill");
  }
}

}  // namespace

int verb_kill(const Args& a) {
  int sig = parse_signal(a.signal);
  validate_id(a.id);
  Root root = open_root(a.root);
  Container c = open_container(root, a.id);
  const ContainerState& st = loaded(c);
  std::string status = status_of(c, st);
  bool everyone = a.all || (sig == SIGKILL && !st.private_pidns);
  std::optional<Cgroup> cg;
  if (st.cgroup) cg.emplace(*st.cgroup);
  if (status == "stopped") {
    if (everyone && cg && !cg->pids(true).empty()) {
      side_effects_begin();
      cg->kill_all();
      return 0;
    }
    // runc swallows "not running" for --all (containerd sends kill --all after the init is gone).
    if (a.all) return 0;
    fail("container not running");
  }
  if (everyone) {
    std::vector<int64_t> pids = cg ? cg->pids(true) : pidns_pids(st.pid, st.private_pidns);
    side_effects_begin();
    for (int64_t pid : pids)
      if (valid_pid(pid)) kill(static_cast<pid_t>(pid), sig);  // one exited meanwhile is fine
  } else {
    side_effects_begin();
    signal_init(st, sig);
  }
  if (sig == SIGKILL && status == "paused" && cg) cg->thaw();
  return 0;
}

}  // namespace front
