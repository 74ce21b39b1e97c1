/**
 * The container's cgroup directories from linux.cgroupsPath, with runc's cgroupfs rules (libcontainer's
 * fs.initPaths/subsysPath and fs2.defaultDirPath), and the systemd "slice:prefix:name" form.
 */
import { posix } from 'node:path';
import { TsrunError } from '../errors.js';
import type { CgroupLayout, CgroupPaths } from './types.js';

/** The v1 hierarchies runc's fs manager joins, in its order (fs.subsystems); others (debug, name=foo) are left out. */
export const RUNC_V1_SUBSYSTEMS = [
  'cpuset', 'devices', 'memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'hugetlb', 'net_cls', 'net_prio',
  'perf_event', 'freezer', 'rdma', 'name=systemd', 'misc',
] as const;

/**
 * runc's CleanPath: an absolute path is cleaned; a relative one is cleaned as if rooted at "/" and stays
 * relative, so "../../x" cannot climb out of its parent.
 */
export function cleanCgroupPath(p: string): string {
  if (p === '') return '';
  if (p.startsWith('/')) return posix.normalize(p).replace(/(.)\/+$/, '$1');
  const abs = posix.normalize('/' + p).replace(/(.)\/+$/, '$1');
  return abs === '/' ? '.' : abs.slice(1);
}

/** join(...) with Go's filepath.Join semantics (cleaned, "." parts dropped). */
function join(...parts: string[]): string {
  return posix.join(...parts.filter((p) => p !== '')).replace(/(.)\/+$/, '$1');
}

/** `p` relative to a mount's root (runc: filepath.Rel(root, cgroup)); a path outside the root is the root itself. */
export function relativeToMountRoot(root: string, p: string): string {
  if (root === '/' || root === '') return p;
  if (p === root) return '/';
  if (p.startsWith(root + '/')) return p.slice(root.length);
  return '/';
}

/**
 * The container's cgroup directories for the cgroupfs driver.
 * - absolute cgroupsPath: that path under every hierarchy's mount (the path is relative to the mount's root);
 * - relative cgroupsPath: under this process's own cgroup in each v1 hierarchy (/proc/self/cgroup); on v2 under
 *   the parent of its own cgroup (runc: the own scope has processes, so no controllers can be enabled below it);
 * - empty: as a relative path equal to the container id.
 * Hybrid hosts get the v1 paths plus the unified directory, which runc puts right under the cgroup2 mount for a
 * relative path (its own cgroup there is not consulted). Every path starts with `root` (a test's stand-in for /).
 * A host without a devices hierarchy is refused (runc: the devices cgroup is required for security).
 */
export function resolveCgroupPaths(layout: CgroupLayout, cgroupsPath: string | undefined, id: string, own: ReadonlyMap<string, string>, root = ''): CgroupPaths {
  const inner = cgroupsPath ? cleanCgroupPath(cgroupsPath) : cleanCgroupPath(id);
  const absolute = inner.startsWith('/');
  const base = (mountpoint: string) => join(root || '/', mountpoint);

  if (layout.mode === 'v2') {
    const v2 = layout.v2;
    if (!v2) throw new TsrunError('no cgroup2 mount found in mountinfo');
    if (absolute) return { v1: {}, v2: join(base(v2.mountpoint), inner) };
    const self = own.get('');
    if (self === undefined) throw new TsrunError('cgroup path not found');
    const parent = posix.dirname(relativeToMountRoot(v2.root, self));
    return { v1: {}, v2: join(base(v2.mountpoint), parent, inner) };
  }

  const v1: Record<string, string> = {};
  for (const name of RUNC_V1_SUBSYSTEMS) {
    const h = layout.v1.find((x) => x.subsystems.includes(name));
    if (!h) continue;
    if (absolute) {
      v1[name] = join(base(h.mountpoint), inner);
      continue;
    }
    const self = own.get(name) ?? own.get('name=' + name);
    if (self === undefined) continue;
    v1[name] = join(base(h.mountpoint), relativeToMountRoot(h.root, self), inner);
  }
  if (v1.devices === undefined) throw new TsrunError('mountpoint for devices not found');
  const out: CgroupPaths = { v1 };
  if (layout.mode === 'hybrid' && layout.v2) out.v2 = join(base(layout.v2.mountpoint), inner);
  return out;
}

export interface SystemdCgroup {
  /** The parent slice as given ("system.slice" when empty). */
  slice: string;
  /** The scope prefix ("runc" when cgroupsPath is empty). */
  prefix: string;
  name: string;
  /** `<prefix>-<name>.scope`, or the name itself when it is a slice. */
  unit: string;
  /** The unit's cgroup relative to a hierarchy's mount: `/<expanded slice>/<unit>`. */
  path: string;
}

/** systemd's slice nesting: "a-b.slice" → "/a.slice/a-b.slice", "-.slice" → "/" (runc's ExpandSlice). */
export function expandSlice(slice: string): string {
  const suffix = '.slice';
  if (slice.length < suffix.length || !slice.endsWith(suffix) || slice.includes('/')) {
    throw new TsrunError(`invalid slice name: ${slice}`);
  }
  const name = slice.slice(0, -suffix.length);
  if (name === '-') return '/';
  let path = '';
  let prefix = '';
  for (const component of name.split('-')) {
    if (component === '') throw new TsrunError(`invalid slice name: ${slice}`);
    path += '/' + prefix + component + suffix;
    prefix += component + '-';
  }
  return path;
}

/**
 * linux.cgroupsPath for the systemd driver: "slice:prefix:name"; empty means system.slice (user.slice for the
 * user's manager) and scope runc-<id>.
 */
export function parseSystemdPath(cgroupsPath: string | undefined, id = '', defaultSlice = 'system.slice'): SystemdCgroup {
  let slice = '';
  let prefix: string;
  let name: string;
  if (!cgroupsPath) {
    prefix = 'runc';
    name = id;
  } else {
    const parts = cgroupsPath.split(':');
    if (parts.length !== 3) {
      throw new TsrunError(`expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got ${JSON.stringify(cgroupsPath)} instead`);
    }
    [slice, prefix, name] = parts as [string, string, string];
  }
  const parent = slice === '' ? defaultSlice : slice;
  const expanded = expandSlice(parent);
  const unit = name.endsWith('.slice') ? name : `${prefix}-${name}.scope`;
  return { slice: parent, prefix, name, unit, path: join(expanded, unit) };
}
