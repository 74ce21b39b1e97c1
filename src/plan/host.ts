/** Facts about the running host that the pure spec → plan conversion needs. The only impure part of plan/. */
import { accessSync, existsSync, statSync, constants as fsc } from 'node:fs';
import { readProcText } from '../util/proc.js';

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
  /** tsrun's effective ids when they are not root's (an ordinary user: only their own id may be mapped). */
  unprivileged?: { euid: number; egid: number };
  /** tsrun itself runs in a user namespace (rootless Podman): mknod is refused there too. */
  inUserNs?: boolean;
  /** shadow's set-id map writers found in PATH ("" when missing), for an ordinary user only. */
  idMapTools?: { newuidmap: string; newgidmap: string };
}

/** The lines of a uid_map/gid_map file ("inside outside size"). */
export function parseIdMaps(text: string): { containerID: number; hostID: number; size: number }[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [containerID, hostID, size] = l.trim().split(/\s+/).map(Number) as [number, number, number];
      return { containerID, hostID, size };
    });
}

let inUserNs: boolean | undefined;

/** tsrun runs in a user namespace: its map is not the initial one (every id to itself in one line). Read once. */
export function inUserNamespace(): boolean {
  if (inUserNs === undefined) {
    const text = readOr('/proc/self/uid_map');
    const maps = parseIdMaps(text);
    inUserNs = text !== '' && !(maps.length === 1 && maps[0]!.containerID === 0 && maps[0]!.hostID === 0 && maps[0]!.size === 4294967295);
  }
  return inUserNs;
}

/** An executable in $PATH (as exec.LookPath), or "". */
function lookPath(name: string): string {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir.startsWith('/')) continue;
    const p = `${dir}/${name}`;
    try {
      accessSync(p, fsc.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return '';
}

export { parseMountInfo } from '../util/mountinfo.js';

function readOr(path: string): string {
  try {
    return readProcText(path);
  } catch {
    return '';
  }
}

let lsm: { apparmorEnabled: boolean; selinuxEnabled: boolean } | undefined;

/**
 * Which security modules are active (runc's tests: the AppArmor securityfs dir and module flag, selinuxfs). Read
 * once per call: create's validation and its host facts both ask.
 */
export function lsmFacts(): { apparmorEnabled: boolean; selinuxEnabled: boolean } {
  lsm ??= {
    apparmorEnabled: existsSync('/sys/kernel/security/apparmor') && readOr('/sys/module/apparmor/parameters/enabled').startsWith('Y'),
    selinuxEnabled: existsSync('/sys/fs/selinux/enforce'),
  };
  return lsm;
}

/** `cgroup`: the container's cgroups as the manager has them (runtime/cgroup.ts cgroupView); none for exec. */
export function readHostFacts(cgroup: CgroupHost = { v1: [], hybrid: false }): HostFacts {
  let capLastCap = 40;
  try {
    capLastCap = parseInt(readProcText('/proc/sys/kernel/cap_last_cap'), 10);
  } catch {
    // keep the default: a kernel without the file predates cap_last_cap (3.2)
  }
  const bnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readOr('/proc/self/status'));
  return {
    capLastCap,
    capBounding: bnd ? BigInt('0x' + bnd[1]) : (1n << BigInt(capLastCap + 1)) - 1n,
    hasKcore: existsSync('/proc/kcore'),
    ...lsmFacts(),
    cgroup,
    ...unprivilegedFacts(),
    pathKind(path: string) {
      try {
        return statSync(path).isDirectory() ? 'dir' : 'file';
      } catch {
        return 'missing';
      }
    },
  };
}

function unprivilegedFacts(): Pick<HostFacts, 'unprivileged' | 'inUserNs' | 'idMapTools'> {
  const euid = process.geteuid?.() ?? 0;
  const inUserNs = inUserNamespace();
  if (euid === 0) return { inUserNs };
  return { inUserNs, unprivileged: { euid, egid: process.getegid?.() ?? 0 }, idMapTools: { newuidmap: lookPath('newuidmap'), newgidmap: lookPath('newgidmap') } };
}
