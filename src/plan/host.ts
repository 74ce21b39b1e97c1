/** Facts about the running host that the pure spec → plan conversion needs. The only impure part of plan/. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseMountInfo } from '../util/mountinfo.js';

export interface CgroupV1Hierarchy {
  /** Where the hierarchy is mounted on the host, e.g. /sys/fs/cgroup/cpu,cpuacct. */
  mountpoint: string;
  /** Controllers and names from the super options, e.g. ['cpu', 'cpuacct'] or ['name=systemd']. */
  subsystems: string[];
  /** Host path of the container's cgroup in this hierarchy. */
  path: string;
}

export interface CgroupHost {
  v1: CgroupV1Hierarchy[];
  /** The cgroup2 mount (pure v2 host) and the container's cgroup directory in it. */
  v2?: { mountpoint: string; path: string };
  /** A cgroup2 mount that sits beside v1 controllers (hybrid host). */
  hybrid: boolean;
}

export interface HostFacts {
  /** /proc/sys/kernel/cap_last_cap */
  capLastCap: number;
  /** The runtime's own bounding set: a capability outside it cannot be granted to the container. */
  capBounding: bigint;
  /** /proc/kcore exists (then /dev/core links to it). */
  hasKcore: boolean;
  cgroup: CgroupHost;
  /** AppArmor and SELinux are active on this host. */
  apparmorEnabled: boolean;
  selinuxEnabled: boolean;
  /** What is at a host path: bind mounts create a file or a directory to mount on. */
  pathKind(path: string): 'dir' | 'file' | 'missing';
}

export { parseMountInfo } from '../util/mountinfo.js';

/** /proc/self/cgroup → controller list key ("cpu,cpuacct", "name=systemd", "" for v2) → path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

const notControllers = new Set(['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec', 'xattr', 'clone_children']);

/** The cgroup layout as seen by this process; `cgroupPath(key, own)` may redirect the container elsewhere. */
export function describeCgroups(mountinfo: string, procCgroup: string): CgroupHost {
  const own = parseProcCgroup(procCgroup);
  const mounts = parseMountInfo(mountinfo);
  const v1: CgroupV1Hierarchy[] = [];
  const seen = new Set<string>();
  let v2: CgroupHost['v2'];
  let hasV2 = false;
  for (const m of mounts) {
    if (m.fstype === 'cgroup') {
      const subsystems = m.superOptions.filter((o) => !notControllers.has(o) && !o.startsWith('release_agent='));
      const key = subsystems.join(',');
      if (seen.has(key)) continue;
      // The matching /proc/self/cgroup line lists the same controllers, possibly in another order.
      const sorted = [...subsystems].sort().join(',');
      let own1: string | undefined;
      for (const [k, p] of own) if (k && k.split(',').sort().join(',') === sorted) own1 = p;
      if (own1 === undefined) continue;
      seen.add(key);
      const rel = relativeTo(m.root, own1);
      v1.push({ mountpoint: m.mountpoint, subsystems, path: joinPath(m.mountpoint, rel) });
    } else if (m.fstype === 'cgroup2') {
      hasV2 = true;
      if (!v2) v2 = { mountpoint: m.mountpoint, path: joinPath(m.mountpoint, relativeTo(m.root, own.get('') ?? '/')) };
    }
  }
  if (v1.length > 0) return { v1, hybrid: hasV2 };
  return { v1, v2, hybrid: false };
}

function relativeTo(root: string, p: string): string {
  if (root === '/' || root === '') return p;
  if (p === root) return '/';
  if (p.startsWith(root + '/')) return p.slice(root.length);
  return p;
}

function joinPath(a: string, b: string): string {
  return (a + '/' + b).replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Which security modules are active (runc's tests: the AppArmor securityfs dir and module flag, selinuxfs). */
export function lsmFacts(): { apparmorEnabled: boolean; selinuxEnabled: boolean } {
  return {
    apparmorEnabled: existsSync('/sys/kernel/security/apparmor') && readOr('/sys/module/apparmor/parameters/enabled').startsWith('Y'),
    selinuxEnabled: existsSync('/sys/fs/selinux/enforce'),
  };
}

export function readHostFacts(): HostFacts {
  let capLastCap = 40;
  try {
    capLastCap = parseInt(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'), 10);
  } catch {
    // keep the default: a kernel without the file predates cap_last_cap (3.2)
  }
  const bnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readOr('/proc/self/status'));
  return {
    capLastCap,
    capBounding: bnd ? BigInt('0x' + bnd[1]) : (1n << BigInt(capLastCap + 1)) - 1n,
    hasKcore: existsSync('/proc/kcore'),
    ...lsmFacts(),
    cgroup: describeCgroups(readFileSync('/proc/self/mountinfo', 'utf8'), readFileSync('/proc/self/cgroup', 'utf8')),
    pathKind(path: string) {
      try {
        return statSync(path).isDirectory() ? 'dir' : 'file';
      } catch {
        return 'missing';
      }
    },
  };
}
