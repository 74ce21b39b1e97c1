/**
 * The container's cgroup from create to delete: where it is (recorded in state.json, so later commands need
 * no --systemd-cgroup) and the manager that applies its limits before the init can run anything and removes it.
 */
import { readFileSync } from 'node:fs';
import {
  openCgroupManager,
  ownCgroups,
  parseSystemdPath,
  readLayout,
  resolveCgroupPaths,
  type CgroupLayout,
  type CgroupManager,
  type CgroupPaths,
} from '../cgroups/index.js';
import type { DeviceProgramOps, UnitJob } from '../cgroups/types.js';
import { native } from '../native/addon.js';
import type { CgroupHost } from '../plan/host.js';
import type { LinuxDevice, LinuxResources, Spec } from '../spec/schema.js';

/** What later commands need to find and manage the cgroup. */
export interface CgroupRecord {
  driver: 'cgroupfs' | 'systemd';
  layout: CgroupLayout;
  paths: CgroupPaths;
  /** The resources last applied (update merges into them). */
  resources?: LinuxResources;
  /** linux.devices, for the default device rules they replace. */
  specDevices?: LinuxDevice[];
  /** systemd: the transient unit holding the container, and its slice. */
  unit?: string;
  slice?: string;
}

export function planCgroup(spec: Spec, id: string, systemd: boolean): CgroupRecord {
  const layout = readLayout(readFileSync('/proc/self/mountinfo', 'utf8'));
  const own = ownCgroups(readFileSync('/proc/self/cgroup', 'utf8'));
  const cgroupsPath = spec.linux?.cgroupsPath;
  if (systemd) {
    const sd = parseSystemdPath(cgroupsPath, id);
    return {
      driver: 'systemd',
      layout,
      paths: resolveCgroupPaths(layout, sd.path, id, own),
      resources: spec.linux?.resources,
      specDevices: spec.linux?.devices,
      unit: sd.unit,
      slice: sd.slice,
    };
  }
  return {
    driver: 'cgroupfs',
    layout,
    paths: resolveCgroupPaths(layout, cgroupsPath, id, own),
    resources: spec.linux?.resources,
    specDevices: spec.linux?.devices,
  };
}

/**
 * The manager of a recorded cgroup: cgroupfs v1/v2 or systemd behind one interface, with the kernel's means to
 * load v2 device programs and to talk to systemd (from the addon, loaded only if they are used).
 */
export function managerOf(r: CgroupRecord, id = ''): CgroupManager {
  const devicePrograms: DeviceProgramOps = {
    query: (fd) => native().bpfQueryDevice(fd),
    load: (insns, license) => native().bpfLoadDeviceProgram(insns, license),
    attach: (fd, prog) => native().bpfAttachDevice(fd, prog),
    detach: (fd, prog) => native().bpfDetachDevice(fd, prog),
  };
  const systemd =
    r.driver === 'systemd' ? { unit: r.unit!, slice: r.slice!, id, job: (...a: Parameters<UnitJob>) => native().systemdUnitJob(...a) } : undefined;
  return openCgroupManager({ layout: r.layout, paths: r.paths, resources: r.resources, specDevices: r.specDevices, devicePrograms, systemd });
}

/** Before the init exists: the cgroup made and limited (cgroupfs), or nothing yet (systemd). */
export function prepareCgroup(r: CgroupRecord): string[] {
  return managerOf(r).setUp(r.resources ?? {});
}

/** The init exists and waits: it enters its cgroup (the systemd unit is started with it), then the limits. */
export function joinCgroup(r: CgroupRecord, pid: number, id: string, clonedIn = false): string[] {
  return managerOf(r, id).enter(pid, clonedIn);
}

/** Kills whatever is left in the cgroup and removes it (and its systemd unit). */
export function destroyCgroup(r: CgroupRecord): void {
  managerOf(r).remove();
}

/**
 * The plan's view of the container's cgroups (for its /sys/fs/cgroup mount), from the same layout and paths the
 * manager uses: the host's cgroup mounts are read once, by planCgroup.
 */
export function cgroupView(r: CgroupRecord): CgroupHost {
  const { layout, paths } = r;
  const v1: CgroupHost['v1'] = [];
  for (const h of layout.v1) {
    const key = Object.keys(paths.v1).find((k) => h.subsystems.includes(k) || h.subsystems.includes(`name=${k}`));
    if (key) v1.push({ mountpoint: h.mountpoint, subsystems: h.subsystems, path: paths.v1[key]! });
  }
  const v2 = layout.mode === 'v2' && layout.v2 && paths.v2 ? { mountpoint: layout.v2.mountpoint, path: paths.v2 } : undefined;
  return { v1, v2, hybrid: layout.mode === 'hybrid' };
}
