/**
 * cgroup v2 has no devices files: the container's device rules are an eBPF program attached to its directory.
 * The new program goes on before the old ones come off, so no moment is unfiltered.
 */
import { closeSync, openSync, constants as fsc } from 'node:fs';
import type { ContainerDevice, DeviceProgramOps, Resources } from './types.js';
import { deviceRules } from './devices.js';
import { DEVICE_FILTER_LICENSE, deviceFilterProgram } from './devicefilter.js';

/**
 * The device filter for a container (runc's effective rules: linux.resources.devices, then the default devices
 * not replaced by linux.devices), as BPF_PROG_TYPE_CGROUP_DEVICE instructions and their license.
 */
export function v2DeviceFilter(resources: Resources | undefined, specDevices: ContainerDevice[] | undefined): { program: Buffer; license: string } {
  return { program: deviceFilterProgram(deviceRules(resources?.devices, specDevices)), license: DEVICE_FILTER_LICENSE };
}

export function loadDeviceProgram(ops: DeviceProgramOps, dir: string, resources: Resources | undefined, specDevices: ContainerDevice[] | undefined): void {
  const { program, license } = v2DeviceFilter(resources, specDevices);
  const dirFd = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    const old = ops.query(dirFd);
    const prog = ops.load(program, license);
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
