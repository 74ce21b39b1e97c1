// A head start on the cgroup move that create, run and exec will make (src/runtime/cgroup-warm.ts says why).
#pragma once

namespace front {

// Best effort, and the caller never waits for it: a detached process of its own moves itself into the cgroup it
// is already in, and so takes the kernel's wait for an RCU grace period now, while tsrun-js starts, instead of
// the container's move taking it later. `moves_on_v2`: a move follows even on a pure cgroup v2 host (exec).
// Whether the move was started.
bool warm_cgroup_migration(bool moves_on_v2);

}  // namespace front
