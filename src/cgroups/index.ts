/** Entry point of the cgroup code: picking the manager for the host, update merging, the v2 device filter. */
import { SystemdCgroupManager } from './systemd.js';
import type { CgroupManagerOptions } from './manager-common.js';
import type { CgroupManager } from './types.js';
import { CgroupV1Manager } from './v1.js';
import { CgroupV2Manager } from './v2.js';

export type { CgroupManagerOptions } from './manager-common.js';
export type { CgroupDriver, CgroupLayout, CgroupManager, CgroupPaths, CgroupStats } from './types.js';
export { readLayout, ownCgroups } from './layout.js';
export { resolveCgroupPaths, parseSystemdPath, expandSlice } from './paths.js';
export { deviceRules, deviceRuleLine, type DeviceRule } from './devices.js';
export { deviceFilterProgram, DEVICE_FILTER_LICENSE } from './devicefilter.js';
export { v2DeviceFilter } from './device-program.js';
export { cpuSharesToWeight, memorySwapToV2, blkioWeightToIoWeight } from './convert.js';
export { updateResources } from './update.js';
export { CgroupV1Manager } from './v1.js';
export { CgroupV2Manager } from './v2.js';

/**
 * The cgroupfs manager for the host: v1 for v1 and hybrid hosts (on hybrid it also joins, kills through and
 * removes paths.v2), v2 for the unified hierarchy.
 */
export function openCgroupManager(opts: CgroupManagerOptions): CgroupManager {
  const fs = opts.layout.mode === 'v2' ? new CgroupV2Manager(opts) : new CgroupV1Manager(opts);
  return opts.systemd ? new SystemdCgroupManager(fs, opts.systemd, opts.layout.mode === 'v2', opts.resources) : fs;
}
