// start: release the init blocked on exec.fifo and wait until it has taken the step (src/runtime/start.ts).
// Delegated: NOTIFY_SOCKET (start then relays READY=1) and poststart hooks.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "contract.h"
#include "error.h"
#include "fd.h"
#include "lock.h"
#include "proc.h"
#include "state_dir.h"
#include "verbs.h"

using tsrun::Fd;

namespace front {

namespace {

// The init writes one byte, then keeps its end open until execve closes it: EOF means the user's program is
// executing (or the init is gone).
void release(const Container& c, const ContainerState& st) {
  std::string status = status_of(c, st, false);
  if (status == "stopped") fail("cannot start a container that has stopped");
  if (status != "created") fail("cannot start an already running container");
  Fd pidfd = pidfd_of(st.pid, st.pid_start_time);
  if (!pidfd.valid()) fail("cannot start a container that has stopped");
  std::string fifo_path = c.path + "/" + tsrun::StateFile::FIFO;
  // Non-blocking open: a reader always succeeds, and the init's blocked open(O_WRONLY) then completes.
  Fd fifo(openat(c.dir.get(), tsrun::StateFile::FIFO, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  if (!fifo.valid()) fail("open " + fifo_path, errno, "open");
  size_t got = 0;
  for (;;) {
    // Once a byte came, the init's exit is no longer news: only the fifo's EOF ends the wait.
    struct pollfd p[2] = {{fifo.get(), POLLIN, 0}, {got ? -1 : pidfd.get(), POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail("poll", errno, "poll");
    }
    if (p[0].revents & (POLLIN | POLLHUP)) {
      char buf[16];
      ssize_t n = read(fifo.get(), buf, sizeof buf);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0) fail("read " + fifo_path, errno, "read");
      if (n > 0) {
        got += static_cast<size_t>(n);
        continue;
      }
      if (got == 0) fail("cannot start container: exec fifo is empty (the init exited before start)");
      break;
    }
    if ((p[1].revents & POLLIN) && got == 0) fail("cannot start a container that has stopped");
  }
  if (unlinkat(c.dir.get(), tsrun::StateFile::FIFO, 0) != 0) fail("unlink " + fifo_path, errno, "unlink");
}

}  // namespace

int verb_start(const Args& a) {
  validate_id(a.id);
  Root root = open_root(a.root);
  Container c = open_container(root, a.id);
  const ContainerState& st = loaded(c);
  const char* notify = getenv("NOTIFY_SOCKET");
  if (notify && *notify) delegate("NOTIFY_SOCKET: start relays READY=1");
  if (st.poststart_hooks) delegate("poststart hooks");
  status_of(c, st);  // an unusual exec.fifo is delegated now, before the lock
  side_effects_begin();
  lock_dir(c.dir.get());
  release(c, st);
  return 0;
}

}  // namespace front
