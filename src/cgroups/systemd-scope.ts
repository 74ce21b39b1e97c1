/**
 * The systemd cgroup driver: like runc, the container's cgroup is a transient scope (or slice) that systemd
 * creates over D-Bus with the init's pid in it; its files are then managed as with cgroupfs. D-Bus is spoken by
 * sd-bus in the addon, which waits for each job's JobRemoved: systemd writes the new cgroup's defaults when its
 * job runs, which can be after the method's reply, so limits are written only once the job is done.
 */
import { existsSync } from 'node:fs';
import { CgroupInUseError, TsrunError } from '../errors.js';
import { readProcText } from '../util/proc.js';
import type { NativeAddon, SystemdProperty } from '../native/contract.js';

/** runc waits 30 s for a unit's job. */
const JOB_TIMEOUT_MS = 30_000;

type UnitJob = NativeAddon['systemdUnitJob'];

/** systemd must be the init of this machine (runc: /run/systemd/system exists). */
/** runc's test: systemd is this machine's init when /run/systemd/system exists. */
export const systemdIsInit = (): boolean => existsSync('/run/systemd/system');

export function assertSystemdRunning(isInit = systemdIsInit()): void {
  if (isInit) return;
  let pid1 = '?';
  try {
    pid1 = readProcText('/proc/1/comm').trim();
  } catch {
    // unreadable
  }
  throw new TsrunError(
    `systemd cgroup driver: systemd is not running on this machine (PID 1 is "${pid1}"); drop --systemd-cgroup to use the cgroupfs driver`,
  );
}

export interface TransientUnit {
  unit: string;
  slice: string;
  pid: number;
  id: string;
  v2: boolean;
}

/** StartTransientUnit's properties: the unit's slice, the init's pid, delegation, accounting. */
export function transientUnitProperties(o: TransientUnit): SystemdProperty[] {
  const props: SystemdProperty[] = [
    ['Description', 's', `libcontainer container ${o.id}`],
    ['PIDs', 'au', [o.pid]],
    ['Delegate', 'b', true],
    ['MemoryAccounting', 'b', true],
    ['CPUAccounting', 'b', true],
    ['TasksAccounting', 'b', true],
    [o.v2 ? 'IOAccounting' : 'BlockIOAccounting', 'b', true],
    ['DefaultDependencies', 'b', false],
  ];
  // A scope lives in a slice; a slice's parent is implied by its name.
  if (o.unit.endsWith('.scope')) props.unshift(['Slice', 's', o.slice]);
  return props;
}

function busFailure(what: string, err: unknown): TsrunError {
  const e = err as { message?: string; code?: string };
  return new TsrunError(`systemd cgroup driver: ${what}: ${e.message ?? String(err)}`);
}

/** Starts the unit with the init in it and returns once systemd's job is done. */
export function startTransientUnit(o: TransientUnit, job: UnitJob, isInit = systemdIsInit()): void {
  assertSystemdRunning(isInit);
  let result: string;
  try {
    result = job('StartTransientUnit', o.unit, transientUnitProperties(o), JOB_TIMEOUT_MS);
  } catch (err) {
    // Another container's (or anything's) unit of that name: not ours to stop when the create fails.
    if ((err as { dbusError?: string }).dbusError === 'org.freedesktop.systemd1.UnitExists')
      throw new CgroupInUseError(`systemd cgroup driver: start ${o.unit}: ${(err as Error).message ?? String(err)}`);
    throw busFailure(`start ${o.unit}`, err);
  }
  if (result !== 'done') throw new TsrunError(`systemd cgroup driver: start ${o.unit}: job ${result}`);
}

/** Stops the unit and waits for its job; a unit that is already gone is what was wanted. */
export function stopUnit(unit: string, job: UnitJob, isInit = systemdIsInit()): void {
  if (!isInit) return;
  try {
    job('StopUnit', unit, [], JOB_TIMEOUT_MS);
  } catch (err) {
    if ((err as { dbusError?: string }).dbusError === 'org.freedesktop.systemd1.NoSuchUnit') return;
    throw busFailure(`stop ${unit}`, err);
  }
}
