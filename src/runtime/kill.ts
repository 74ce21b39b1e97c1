/** kill: signal the init (or, with --all, every process of the container). */
import { readdirSync, readlinkSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { managerOf } from './cgroup.js';
import { StateDir, statusOf, type ContainerState } from './state.js';

const SIGKILL = 9;

export function killContainer(root: string, id: string, signal: number, all: boolean): void {
  const dir = new StateDir(root, id);
  const st = dir.load();
  const status = statusOf(dir, st);
  // runc: without its own pid namespace, SIGKILL reaches every process of the container's cgroup, even when
  // the init has already exited; and a frozen container is thawed so that it can die.
  const everyone = all || (signal === SIGKILL && !st.config.privatePidNs);
  if (status === 'stopped') {
    if (everyone && st.config.cgroup) {
      const m = managerOf(st.config.cgroup);
      if (m.pids().length) {
        m.killAll();
        return;
      }
    }
    // runc swallows "not running" for --all (containerd sends kill --all after the init is gone).
    if (all) return;
    throw new TsrunError('container not running');
  }
  if (everyone) signalAll(st, signal);
  else sendSignal(st.pid, signal);
  if (signal === SIGKILL && status === 'paused' && st.config.cgroup) managerOf(st.config.cgroup).thaw();
}

function sendSignal(pid: number, signal: number): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new TsrunError('container not running');
    throw err;
  }
}

/** Every process of the container: its cgroup's, or (without one) those of its own pid namespace. */
export function containerPids(st: ContainerState): number[] {
  if (st.config.cgroup) return managerOf(st.config.cgroup).pids();
  if (!st.config.privatePidNs) return [st.pid];
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
