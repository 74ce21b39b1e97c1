/**
 * Moving a process into a cgroup (writing cgroup.procs) takes the kernel's cgroup_threadgroup_rwsem for
 * writing, and the first writer after a quiet spell waits for an RCU grace period: about 8–10 ms here, every
 * create and exec (runc pays it too). tsrun starts a move that changes nothing — itself into the cgroup it is
 * already in — asynchronously, as soon as it knows a move will follow, so that the grace period passes while
 * config.json is read and validated; the container's own move is then quick. Best effort: a failure (no
 * permission, an unusual layout) only means no head start.
 *
 * The native front end starts the same move even earlier, as it hands create, run and exec over
 * (addon/front/cgroup_warm.cc). This later one still pays: after the last move the kernel keeps the quick path
 * for one more grace period only, and this one carries it over to the container's move (without it, a create in
 * the benchmark's loop took 25 -> 30 ms).
 */
import { writeFile } from 'node:fs';
import { ownCgroupsOfSelf } from '../cgroups/layout.js';

/** cgroup.procs of our own cgroup in one hierarchy (the lock is global); null where there is none. */
function ownProcsFile(movesOnV2: boolean): string | null {
  let own: ReadonlyMap<string, string>;
  try {
    own = ownCgroupsOfSelf();
  } catch {
    return null;
  }
  const v2Only = own.size === 1 && own.has('');
  if (v2Only && !movesOnV2) return null;
  // Prefer a v1 hierarchy that every layout mounts in the usual place.
  const v1 = (['pids', 'memory'] as const).find((c) => own.has(c));
  const path = v1 ? `/sys/fs/cgroup/${v1}${own.get(v1)}/cgroup.procs` : v2Only ? `/sys/fs/cgroup${own.get('')}/cgroup.procs` : undefined;
  return !path || path.includes('..') ? null : path;
}

/**
 * `movesOnV2`: whether a cgroup.procs write will follow even on pure cgroup v2 (exec; create on v1 always).
 * Called again closer to the container's move: the kernel keeps the quick path for only ~10-20 ms after the last
 * move (one grace period), and each call extends it (a move on the quick path costs ~30 µs).
 */
export function warmCgroupMigration(movesOnV2: boolean): void {
  const path = ownProcsFile(movesOnV2);
  if (path) writeFile(path, String(process.pid), () => undefined);
}
