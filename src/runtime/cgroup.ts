/**
 * The container's cgroup from create to delete: where it is (recorded in state.json, so later commands need
 * no --systemd-cgroup), its limits applied before the init can run anything, the v2 device filter loaded
 * into the kernel, and its removal.
 */
import { closeSync, openSync, readFileSync, constants as fsc } from 'node:fs';
import {
  openCgroupManager,
  ownCgroups,
  parseSystemdPath,
  readLayout,
  resolveCgroupPaths,
  v2DeviceFilter,
  type CgroupLayout,
  type CgroupManager,
  type CgroupPaths,
} from '../cgroups/index.js';
import { startTransientUnit, stopUnit } from '../cgroups/systemd-scope.js';
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

export function managerOf(r: CgroupRecord): CgroupManager {
  return openCgroupManager({ layout: r.layout, paths: r.paths, resources: r.resources, specDevices: r.specDevices });
}

/**
 * cgroupfs: make the cgroup and apply every limit before the init exists (on v2 the init is then cloned
 * straight into it). systemd creates the cgroup itself once the init's pid is known: see joinCgroup.
 */
export function prepareCgroup(r: CgroupRecord): string[] {
  if (r.driver === 'systemd') return [];
  const m = managerOf(r);
  m.create();
  const warnings = m.apply(r.resources ?? {});
  loadDeviceFilter(r);
  return warnings;
}

/**
 * The init exists and waits: put it in its cgroup (v1 hierarchies, the v2 directory unless the launcher cloned
 * it there already, or the systemd unit, then the limits).
 */
export function joinCgroup(r: CgroupRecord, pid: number, id: string, clonedIn = false): string[] {
  if (r.driver === 'systemd') {
    // Returns once systemd's job is done: its defaults are written, so the limits that follow stay.
    startTransientUnit({ unit: r.unit!, slice: r.slice!, pid, id, v2: r.layout.mode === 'v2' }, native().systemdUnitJob);
    const m = managerOf(r);
    m.join(pid);
    const warnings = m.apply(r.resources ?? {});
    loadDeviceFilter(r);
    return warnings;
  }
  if (!clonedIn) managerOf(r).addProcess(pid);
  return [];
}

/** cgroup v2 has no devices files: the rules are an eBPF program attached to the directory. */
function loadDeviceFilter(r: CgroupRecord): void {
  if (r.layout.mode !== 'v2' || !r.paths.v2) return;
  const addon = native();
  const { program, license } = v2DeviceFilter(r.resources, r.specDevices);
  const dir = openSync(r.paths.v2, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    const old = addon.bpfQueryDevice(dir);
    const prog = addon.bpfLoadDeviceProgram(program, license);
    try {
      // The new filter goes on before the old ones come off, so no moment is unfiltered.
      addon.bpfAttachDevice(dir, prog);
      for (const fd of old) {
        addon.bpfDetachDevice(dir, fd);
        closeSync(fd);
      }
    } finally {
      closeSync(prog);
    }
  } finally {
    closeSync(dir);
  }
}

/** Kills whatever is left in the cgroup and removes it (and its systemd unit). */
export function destroyCgroup(r: CgroupRecord): void {
  const m = managerOf(r);
  m.killAll();
  if (r.driver === 'systemd' && r.unit) stopUnit(r.unit, native().systemdUnitJob);
  m.destroy();
}

/** The plan's view of the container's cgroups, for the container's /sys/fs/cgroup mount. */
export function containerCgroupView(host: CgroupHost, r: CgroupRecord): CgroupHost {
  const v1 = host.v1.map((h) => {
    const key = Object.keys(r.paths.v1).find((k) => h.subsystems.includes(k) || h.subsystems.includes(`name=${k}`));
    return key ? { ...h, path: r.paths.v1[key]! } : h;
  });
  return { ...host, v1, v2: host.v2 && r.paths.v2 ? { ...host.v2, path: r.paths.v2 } : host.v2 };
}
