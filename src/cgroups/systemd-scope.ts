/**
 * The systemd cgroup driver: like runc, the container's cgroup is a transient scope (or slice) that systemd
 * creates over D-Bus with the init's pid in it; its files are then managed as with cgroupfs. D-Bus is spoken
 * through busctl(1), which every systemd host has, instead of a D-Bus client library in every call.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { TsrunError } from '../errors.js';

const DEST = ['org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager'];

/** systemd must be the init of this machine (runc: /run/systemd/system exists). */
export function assertSystemdRunning(): void {
  if (existsSync('/run/systemd/system')) return;
  let pid1 = '?';
  try {
    pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
  } catch {
    // unreadable
  }
  throw new TsrunError(
    `systemd cgroup driver: systemd is not running on this machine (PID 1 is "${pid1}"); drop --systemd-cgroup to use the cgroupfs driver`,
  );
}

/** busctl's arguments for StartTransientUnit: the unit, its slice, the init's pid, delegation, accounting. */
export function startTransientUnitArgs(o: { unit: string; slice: string; pid: number; id: string; v2: boolean }): string[] {
  const props: string[][] = [
    ['Description', 's', `libcontainer container ${o.id}`],
    ['PIDs', 'au', '1', String(o.pid)],
    ['Delegate', 'b', 'true'],
    ['MemoryAccounting', 'b', 'true'],
    ['CPUAccounting', 'b', 'true'],
    ['TasksAccounting', 'b', 'true'],
    [o.v2 ? 'IOAccounting' : 'BlockIOAccounting', 'b', 'true'],
    ['DefaultDependencies', 'b', 'false'],
  ];
  // A scope lives in a slice; a slice's parent is implied by its name.
  if (o.unit.endsWith('.scope')) props.unshift(['Slice', 's', o.slice]);
  return ['call', ...DEST, 'StartTransientUnit', 'ssa(sv)a(sa(sv))', o.unit, 'replace', String(props.length), ...props.flat(), '0'];
}

function busctl(args: string[]): string {
  const r = spawnSync('busctl', ['--system', ...args], { encoding: 'utf8' });
  if (r.error) throw new TsrunError(`systemd cgroup driver: busctl: ${r.error.message}`);
  if (r.status !== 0) throw new TsrunError(`systemd cgroup driver: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

export function startTransientUnit(o: { unit: string; slice: string; pid: number; id: string; v2: boolean }): void {
  assertSystemdRunning();
  busctl(startTransientUnitArgs(o));
}

export function stopUnit(unit: string): void {
  if (!existsSync('/run/systemd/system')) return;
  const r = spawnSync('busctl', ['--system', 'call', ...DEST, 'StopUnit', 'ss', unit, 'replace'], { encoding: 'utf8' });
  // A unit that is already gone is what we wanted.
  if (r.status !== 0 && !/not loaded|NoSuchUnit/i.test(r.stderr)) throw new TsrunError(`systemd cgroup driver: ${r.stderr.trim()}`);
}
