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
import { readFileSync, writeFile } from 'node:fs';

let target: string | undefined | null;

/** cgroup.procs of our own cgroup in one hierarchy (the lock is global), read once; null where there is none. */
function ownProcsFile(movesOnV2: boolean): string | null {
  if (target !== undefined) return target;
  let lines: string[];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean);
  } catch {
    return (target = null);
  }
  const v2Only = lines.length === 1 && lines[0]!.startsWith('0::');
  if (v2Only && !movesOnV2) return (target = null);
  // Prefer a v1 hierarchy that every layout mounts in the usual place.
  const v1 = lines.map((l) => l.split(':')).find((f) => f[1] === 'pids' || f[1] === 'memory');
  const path = v1 ? `/sys/fs/cgroup/${v1[1]}${v1[2]}/cgroup.procs` : v2Only ? `/sys/fs/cgroup${lines[0]!.slice(3)}/cgroup.procs` : undefined;
  return (target = !path || path.includes('..') ? null : path);
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
