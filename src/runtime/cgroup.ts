/**
 * The container's cgroup from create to delete: where it is (recorded in state.json, so later commands need
 * no --systemd-cgroup) and the manager that applies its limits before the init can run anything and removes it.
 */
import { openCgroupManager, type CgroupManager } from '../cgroups/index.js';
import type { CgroupRecord } from '../cgroups/record.js';
import type { DeviceProgramOps, UnitJob } from '../cgroups/types.js';
import { native } from '../native/addon.js';

export type { CgroupRecord } from '../cgroups/record.js';

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
    r.driver === 'systemd' ? { unit: r.unit!, slice: r.slice!, id, job: (...a: Parameters<UnitJob>) => native().systemdUnitJob(...a, r.userBus === true) } : undefined;
  return openCgroupManager({
    layout: r.layout,
    paths: r.paths,
    resources: r.resources,
    specDevices: r.specDevices,
    devicePrograms,
    skipDevices: r.rootless === true,
    systemd,
  });
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
