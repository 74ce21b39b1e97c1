/**
 * The container's cgroup as state.json records it (so later commands need no --systemd-cgroup), built by the
 * pure conversion from the host's cgroup mounts and the runtime's own cgroups, read once at create.
 */
import { join, posix } from 'node:path';
import { TsrunError } from '../errors.js';
import { INPUT_LIMIT, readFileBounded } from '../util/fs.js';
import type { CgroupLayout, CgroupPaths, ContainerDevice, Resources } from './types.js';
import { ownCgroupsOfSelf, readLayout } from './layout.js';
import { parseSystemdPath, relativeToMountRoot, resolveCgroupPaths } from './paths.js';

/** What later commands need to find and manage the cgroup. */
export interface CgroupRecord {
  driver: 'cgroupfs' | 'systemd';
  layout: CgroupLayout;
  paths: CgroupPaths;
  /** The resources last applied (update merges into them). */
  resources?: Resources;
  /** linux.devices, for the default device rules they replace. */
  specDevices?: ContainerDevice[];
  /** systemd: the transient unit holding the container, and its slice. */
  unit?: string;
  slice?: string;
  /** systemd: the unit is the user's manager's (an ordinary user's container), reached on the user's bus. */
  userBus?: boolean;
  /** A rootless container's cgroup: device rules are not applied (an ordinary user cannot). */
  rootless?: boolean;
}

/** The host's cgroup facts: where the hierarchies are mounted, and the runtime's own cgroup in each. */
export interface CgroupHostFacts {
  layout: CgroupLayout;
  own: ReadonlyMap<string, string>;
}

export function readCgroupHostFacts(): CgroupHostFacts {
  return {
    layout: readLayout(readFileBounded('/proc/self/mountinfo', INPUT_LIMIT).toString('utf8')),
    own: ownCgroupsOfSelf(),
  };
}

/**
 * Which manager makes the cgroup: cgroupfs, or systemd — the system's, or (`userManager`: its ControlGroup) the
 * user's, whose units live under /user.slice/user-UID.slice/user@UID.service.
 */
export type CgroupDriverChoice = { systemd: false } | { systemd: true; userManager?: string };

/** linux.cgroupsPath, resources and devices as the chosen manager keeps them. Pure. */
export function cgroupRecordOf(
  linux: { cgroupsPath?: string; resources?: Resources; devices?: ContainerDevice[] },
  id: string,
  driver: CgroupDriverChoice,
  host: CgroupHostFacts,
): CgroupRecord {
  const { layout, own } = host;
  const common = { layout, resources: linux.resources, specDevices: linux.devices };
  if (!driver.systemd) return { driver: 'cgroupfs', ...common, paths: resolveCgroupPaths(layout, linux.cgroupsPath, id, own) };
  const user = driver.userManager;
  if (user !== undefined && layout.mode !== 'v2')
    throw new TsrunError("the user's systemd can manage a container's cgroup only on cgroup v2 (this host has v1 controllers): leave out --systemd-cgroup");
  const sd = parseSystemdPath(linux.cgroupsPath, id, user === undefined ? 'system.slice' : 'user.slice');
  const path = user === undefined ? sd.path : posix.join(user, sd.path);
  return { driver: 'systemd', ...common, paths: resolveCgroupPaths(layout, path, id, own), unit: sd.unit, slice: sd.slice, userBus: user !== undefined || undefined };
}

/** The cgroup file counting OOM kills (v2 memory.events, v1 memory.oom_control), or "" without one. */
export function oomFileOf(r: CgroupRecord | undefined): string {
  const p = r?.paths;
  if (!r || !p) return '';
  if (r.layout.mode === 'v2') return p.v2 ? join(p.v2, 'memory.events') : '';
  return p.v1.memory ? join(p.v1.memory, 'memory.oom_control') : '';
}

/** The runtime's own cgroup directories: where a container without a cgroup of its own stays. */
export function ownCgroupPaths(host: CgroupHostFacts): CgroupPaths {
  const { layout, own } = host;
  const v1: Record<string, string> = {};
  for (const h of layout.v1) {
    for (const name of h.subsystems) {
      const self = own.get(name);
      if (self !== undefined) v1[name.replace(/^name=/, '')] = join(h.mountpoint, relativeToMountRoot(h.root, self));
    }
  }
  const self = own.get('');
  const v2 = layout.v2 && self !== undefined ? join(layout.v2.mountpoint, relativeToMountRoot(layout.v2.root, self)) : undefined;
  return { v1, v2 };
}
