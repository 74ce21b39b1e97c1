// What the init's files share (child.cc: the process script; child_ops.cc: the filesystem-op interpreter;
// child_hooks.cc: the hook runner). All of it runs between clone and execve: no allocation, no locks.
#pragma once
#include <cstdint>

#include <linux/capability.h>
#include <linux/keyctl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <poll.h>
#include <grp.h>
#include <limits.h>
#include <termios.h>

#include "child.h"
#include "contract.h"
#include "sys.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef DEVPTS_SUPER_MAGIC
#define DEVPTS_SUPER_MAGIC 0x1cd1
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace tsrun {
namespace init {

extern ChildCtx* g;        // the init's own copy of the context (set once, before anything can fail)
extern bool g_started;     // past start: nobody reads the sync socket any more
extern int64_t g_host_pid; // the init's pid as the runtime sees it (sent with the first CONTINUE)

// Sends {ERROR, step, errno, index} on the sync socket (errno positive) (or, after start, says it on stderr) and _exits.
[[noreturn]] void fail(int32_t step, int err, int32_t index = -1);
// A process of the setup (a hook) ended with a non-zero wait status: {DIED, step, status, index}, then _exits.
[[noreturn]] void died(int32_t step, int status, int32_t index);
// Waits for the launcher's CONTINUE; the first one carries the init's host pid.
void wait_continue(int32_t step);
// /proc/self/fd of the host's procfs, opened before the chroot of a container without a mount namespace.
int open_host_fd_dir();
// openat2 under the container's root without leaving it (child_ops.cc).
int open_in(const char* path, uint64_t oflags);
// Every filesystem step of the plan, in order (child_ops.cc).
void run_ops();
// The hooks of one phase, in the container's namespaces (child_hooks.cc).
void run_hooks(uint32_t phase);

}  // namespace init
}  // namespace tsrun
