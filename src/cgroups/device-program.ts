/**
 * cgroup v2 has no devices files: the container's device rules are an eBPF program attached to its directory.
 * The new program goes on before the old ones come off, so no moment is unfiltered.
 */
import { closeSync, openSync, constants as fsc } from 'node:fs';
import type { LinuxDevice, LinuxResources } from '../spec/schema.js';
import { deviceRules } from './devices.js';
import { DEVICE_FILTER_LICENSE, deviceFilterProgram } from './devicefilter.js';
import type { DeviceProgramOps } from './types.js';

export function loadDeviceProgram(ops: DeviceProgramOps, dir: string, resources: LinuxResources | undefined, specDevices: LinuxDevice[] | undefined): void {
  const program = deviceFilterProgram(deviceRules(resources?.devices, specDevices));
  const dirFd = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    const old = ops.query(dirFd);
    const prog = ops.load(program, DEVICE_FILTER_LICENSE);
    try {
      ops.attach(dirFd, prog);
      for (const fd of old) {
        ops.detach(dirFd, fd);
        closeSync(fd);
      }
    } finally {
      closeSync(prog);
    }
  } finally {
    closeSync(dirFd);
  }
}
