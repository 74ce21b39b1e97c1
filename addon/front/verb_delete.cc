// delete: a stopped container is removed; a created one is killed first; a running or paused one only with
// --force; with --force a missing container is not an error (src/runtime/delete.ts).
// Delegated: the systemd cgroup driver (the unit is stopped over D-Bus) and poststop hooks.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <optional>

#include "cgroup.h"
#include "error.h"
#include "files.h"
#include "lock.h"
#include "proc.h"
#include "state_dir.h"
#include "verbs.h"

namespace front {

namespace {

constexpr int kWaitMs = 10000;

// SIGKILL the init and wait on its pidfd until it is gone; a frozen one is thawed after the signal is queued.
void kill_and_wait(const ContainerState& st, const std::optional<Cgroup>& cg, bool thaw) {
  tsrun::Fd pidfd = pidfd_of(st.pid, st.pid_start_time);
  if (!pidfd.valid()) return;  // already gone
  if (syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) != 0) return;
  if (thaw && cg) cg->thaw();
  if (!(wait_fd(pidfd.get(), POLLIN, kWaitMs) & POLLIN))
    fail("container init " + std::to_string(st.pid) + " did not exit within 10s of SIGKILL");
}

// waitShimSync: the shim drains the output and writes exit.json after the init is gone; let it finish.
void wait_shim(const ContainerState& st) {
  tsrun::Fd fd = pidfd_of(st.shim->pid, st.shim->start_time);
  if (!fd.valid()) return;
  if (!(wait_fd(fd.get(), POLLIN, kWaitMs) & POLLIN))
    fail("the shim of container " + st.id + " (pid " + std::to_string(st.shim->pid) + ") did not finish within 10s");
}

// destroy: what is left in the cgroup killed and the cgroup removed, then the state, then the log directory.
void destroy(const Root& root, Container& c, const ContainerState& st, const std::optional<Cgroup>& cg) {
  if (st.shim) wait_shim(st);
  if (cg) {
    cg->kill_all();
    cg->destroy();
  }
  c.dir.reset();  // unlock, as StateDir.remove does, then remove
  remove_tree(root.fd.get(), c.id, c.path);
  if (st.log_dir) remove_path(*st.log_dir);
}

}  // namespace

int verb_delete(const Args& a) {
  validate_id(a.id);
  Root root = open_root(a.root);
  Container c = open_container(root, a.id);
  if (!c.state) {
    // A directory without state is an aborted create: remove it (runc does), then report as runc does.
    if (c.dir.valid()) {
      side_effects_begin();
      c.dir.reset();
      remove_tree(root.fd.get(), c.id, c.path);
    }
    if (a.force) return 0;
    fail("container does not exist");
  }
  const ContainerState& st = *c.state;
  if (st.cgroup && st.cgroup->driver == "systemd") delegate("systemd cgroup driver");
  if (st.poststop_hooks) delegate("poststop hooks");
  std::optional<Cgroup> cg;
  if (st.cgroup) cg.emplace(*st.cgroup);
  status_of(c, st);  // an unusual exec.fifo is delegated now, before the lock
  side_effects_begin();
  lock_dir(c.dir.get());
  std::string status = status_of(c, st, false);
  if ((status == "running" || status == "paused") && !a.force)
    fail("cannot delete container " + a.id + " that is not stopped: " + status);
  if (status != "stopped") kill_and_wait(st, cg, status == "paused");
  destroy(root, c, st, cg);
  return 0;
}

}  // namespace front
