// The container init between clone and execve: a fixed script of syscalls over the decoded plan.
// No allocation, no locks, no stdio, no library calls beyond thin syscall wrappers. On failure it sends
// {ERROR, step, errno, index} on the sync socket and _exits.
#pragma once
#include "plan.h"

namespace tsrun {

struct ChildCtx {
  const Plan* plan = nullptr;
  int sync_fd = -1;     // to the launcher
  int fifo_fd = -1;     // O_PATH of exec.fifo itself (create), reopened through /proc/self/fd
  int console_fd = -1;  // connected socket the pty master is sent on, or -1
  int listener_fd = -1; // connected socket the seccomp notify fd is sent on, or -1
  int close_fds[8] = {-1, -1, -1, -1, -1, -1, -1, -1};  // launcher-only fds the init closes first
  // Set while the script runs.
  int root_fd = -1;
  int tty_slave = -1;
  int null_fd = -1;  // the container's verified /dev/null, opened by the first mask of a file
  int fd_dir = -1;   // /proc/self/fd through which exec.fifo is reopened (no mount namespace: the host's)
};

[[noreturn]] void run_child(ChildCtx* ctx);

}  // namespace tsrun
