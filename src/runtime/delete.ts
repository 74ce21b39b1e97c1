/**
 * delete: a stopped container is removed; a created one is killed first (runc does, containerd relies on it);
 * a running or paused one only with --force. With --force a missing container is not an error.
 */
import { closeSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { native } from '../native/addon.js';
import { destroyCgroup, managerOf } from './cgroup.js';
import { runHooksLogged } from './hooks.js';
import { removeLogDir } from './log-dir.js';
import { waitShimSync } from './shim.js';
import { StateDir, stateJson, statusOf, type ContainerState } from './state.js';

const POLLIN = 1;

export function deleteContainer(root: string, id: string, force: boolean): void {
  const dir = new StateDir(root, id);
  const st = dir.exists() ? dir.read() : undefined;
  if (!st) {
    // A directory without state is an aborted create: remove it (runc does), then report as runc does.
    if (dir.exists()) dir.remove();
    if (force) return;
    throw new TsrunError('container does not exist');
  }
  dir.lock(native().flock);
  // Another delete may have finished while this one waited for the lock: nothing is left to remove (and its
  // poststop hooks have run once).
  const now = dir.exists() ? dir.read() : undefined;
  if (!now || now.pid !== st.pid || now.pidStartTime !== st.pidStartTime) {
    dir.unlock();
    if (force) return;
    throw new TsrunError('container does not exist');
  }
  const status = statusOf(dir, st);
  if (status === 'running' || status === 'paused') {
    if (!force) throw new TsrunError(`cannot delete container ${id} that is not stopped: ${status}`);
  }
  // A frozen container cannot die: thaw it after the SIGKILL is queued (runc does the same).
  if (status !== 'stopped') killAndWait(st, 10_000, status === 'paused');
  destroy(dir, st);
}

/**
 * Removes what is left of a stopped container: anything still in its cgroup is killed and the cgroup removed,
 * then the state; then its poststop hooks run (all of them, failures logged).
 */
export function destroy(dir: StateDir, st: ContainerState): void {
  // The shim drains the output and writes the exit record after the init is gone: let it finish first.
  if (st.shim) waitShimSync(st, 10_000);
  if (st.config.cgroup) destroyCgroup(st.config.cgroup);
  dir.remove();
  removeLogDir(st.logDir);
  if (st.config.hooks?.poststop?.length) runHooksLogged('poststop', st.config.hooks.poststop, stateJson(st, 'stopped'), st.bundle);
}

/** SIGKILL the init and wait (on its pidfd, not a sleep loop) until it is gone. */
export function killAndWait(st: ContainerState, timeoutMs = 10_000, thaw = false): void {
  const addon = native();
  let pidfd: number;
  try {
    pidfd = addon.pidfdOpen(st.pid);
  } catch {
    return; // already gone
  }
  try {
    try {
      process.kill(st.pid, 'SIGKILL');
    } catch {
      return;
    }
    if (thaw && st.config.cgroup) managerOf(st.config.cgroup).thaw();
    const [ev = 0] = addon.poll([pidfd], [POLLIN], timeoutMs);
    if (!(ev & POLLIN)) throw new TsrunError(`container init ${st.pid} did not exit within ${timeoutMs / 1000}s of SIGKILL`);
  } finally {
    closeSync(pidfd);
  }
}
