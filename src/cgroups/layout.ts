/** Where the cgroup hierarchies are mounted (from /proc/self/mountinfo) and where this process sits in them. */
import { TsrunError } from '../errors.js';
import { readProcText } from '../util/proc.js';
import { parseMountInfo } from '../util/mountinfo.js';
import type { CgroupLayout } from './types.js';

/** Every cgroup v1 controller the kernel has had; other super options of a "cgroup" mount are mount options. */
export const V1_CONTROLLERS = [
  'cpuset', 'cpu', 'cpuacct', 'io', 'blkio', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event',
  'net_prio', 'hugetlb', 'pids', 'rdma', 'misc', 'debug',
] as const;

const v1Controllers = new Set<string>(V1_CONTROLLERS);

/**
 * The cgroup layout from /proc/self/mountinfo. v1 hierarchies keep their controllers (and name=… for named
 * hierarchies such as name=systemd) in mount order; a hierarchy mounted twice (bind mounts) counts once, at its
 * first mount, as runc's GetCgroupMounts does. v2 when /sys/fs/cgroup is cgroup2 or there is no v1 hierarchy;
 * hybrid when v1 hierarchies sit beside a cgroup2 mount (usually /sys/fs/cgroup/unified).
 */
export function readLayout(mountinfo: string): CgroupLayout {
  // Only the cgroup lines are parsed (" - " is the separator: a space in a path is written \040): on a host that
  // runs containers, mountinfo has a line for every layer and volume.
  const cgroupLines = mountinfo.split('\n').filter((l) => l.includes(' - cgroup'));
  const mounts = parseMountInfo(cgroupLines.join('\n')).filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2');
  const v1: CgroupLayout['v1'] = [];
  const seen = new Set<string>();
  for (const m of mounts) {
    if (m.fstype !== 'cgroup') continue;
    const subsystems = m.superOptions.filter((o) => v1Controllers.has(o) || (o.startsWith('name=') && o.length > 5));
    if (subsystems.length === 0 || subsystems.some((s) => seen.has(s))) continue;
    for (const s of subsystems) seen.add(s);
    v1.push({ mountpoint: m.mountpoint, subsystems, root: m.root });
  }
  const v2mounts = mounts.filter((m) => m.fstype === 'cgroup2');
  const unified = v2mounts.find((m) => m.mountpoint === '/sys/fs/cgroup');
  if (unified || (v1.length === 0 && v2mounts.length > 0)) {
    const m = unified ?? v2mounts[0]!;
    return { mode: 'v2', v1: [], v2: { mountpoint: m.mountpoint, root: m.root } };
  }
  if (v1.length === 0) throw new TsrunError('no cgroup mount found in mountinfo');
  const hybrid = v2mounts.find((m) => m.mountpoint === '/sys/fs/cgroup/unified') ?? v2mounts[0];
  if (!hybrid) return { mode: 'v1', v1 };
  return { mode: 'hybrid', v1, v2: { mountpoint: hybrid.mountpoint, root: hybrid.root } };
}

/**
 * /proc/self/cgroup as runc's ParseCgroupFile: every controller of a line is its own key ("cpu" and "cpuacct"
 * for "4:cpu,cpuacct:/x"), named hierarchies keep their "name=" prefix, and the v2 line ("0::/x") is key "".
 */
export function ownCgroups(procSelfCgroup: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of procSelfCgroup.split('\n')) {
    if (line === '') continue;
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) throw new TsrunError(`invalid cgroup entry: must contain at least two colons: ${line}`);
    const path = line.slice(b + 1);
    for (const sub of line.slice(a + 1, b).split(',')) out.set(sub, path);
  }
  return out;
}

let self: ReadonlyMap<string, string> | undefined;

/**
 * This process's own cgroups (/proc/self/cgroup), read once per call: the cgroup move's head start
 * (runtime/cgroup-warm.ts) and create's host facts both need them.
 */
export function ownCgroupsOfSelf(): ReadonlyMap<string, string> {
  return (self ??= ownCgroups(readProcText('/proc/self/cgroup')));
}
