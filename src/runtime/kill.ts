/** kill: signal the init (or, with --all, every process of the container). */
import { readdirSync, readlinkSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { StateDir, statusOf, type ContainerState } from './state.js';

export function killContainer(root: string, id: string, signal: number, all: boolean): void {
  const dir = new StateDir(root, id);
  const st = dir.load();
  if (statusOf(dir, st) === 'stopped') {
    // runc swallows "not running" for --all (containerd sends kill --all after the init is gone).
    if (all) return;
    throw new TsrunError('container not running');
  }
  if (all) signalAll(st, signal);
  else sendSignal(st.pid, signal);
}

function sendSignal(pid: number, signal: number): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new TsrunError('container not running');
    throw err;
  }
}

/** Every process in the init's pid namespace: only meaningful when the container has its own. */
export function containerPids(st: ContainerState): number[] {
  if (!st.privatePidNs) return [st.pid];
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${st.pid}/ns/pid`);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/pid`) === ns) pids.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function signalAll(st: ContainerState, signal: number): void {
  for (const pid of containerPids(st)) {
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  }
}
