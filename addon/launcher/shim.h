// The per-container shim: the parent and subreaper of a container init that nobody else supervises. It is the
// launcher process itself, split off before the launcher's work begins (see shim.cc).
#pragma once
#include <sys/types.h>

#include "../core/plan.h"

namespace tsrun {

// What the launcher half keeps after the split.
struct ShimChild {
  pid_t shim_pid = 0;  // 0: no shim
  int pid_pipe = -1;   // the launcher writes the init's pid here right after clone
  int console = -1;    // terminal without a console socket: the init sends its pty master here (to the shim)
};

// An orphan of this process would be re-parented to the returned pid (the nearest child subreaper among the
// ancestors, or the pid namespace's init). -1 with errno on failure.
pid_t orphan_reaper();

// Whether the plan asks for a shim and, in auto mode, the caller will not adopt the init itself.
bool shim_needed(const Plan& plan);

// Splits the process: the parent becomes the shim (never returns from here; exits when the init has exited and
// its record is written), the child returns with its stdio replaced by the shim's pipes (or /dev/null) and goes
// on as the launcher. `ctl` is closed in the shim. On failure before the split returns false with errno set.
bool start_shim(const Plan& plan, int ctl, ShimChild* out);

}  // namespace tsrun
