/**
 * delete: a stopped container is removed; a created one is killed first (runc does, containerd relies on it);
 * a running or paused one only with --force. With --force a missing container is not an error.
 */
import { closeSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { native } from '../native/addon.js';
import { runHooksLogged } from './hooks.js';
import { StateDir, hookStateOf, statusOf, type ContainerState } from './state.js';

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
  const status = statusOf(dir, st);
  if (status === 'running' || status === 'paused') {
    if (!force) throw new TsrunError(`cannot delete container ${id} that is not stopped: ${status}`);
  }
  if (status !== 'stopped') killAndWait(st);
  destroy(dir, st);
}

/** Removes what is left of a stopped container, then runs its poststop hooks (all of them, failures logged). */
export function destroy(dir: StateDir, st: ContainerState): void {
  dir.remove();
  if (st.hooks?.poststop?.length) runHooksLogged('poststop', st.hooks.poststop, hookStateOf(st, 'stopped'), st.bundle);
}

/** SIGKILL the init and wait (on its pidfd, not a sleep loop) until it is gone. */
export function killAndWait(st: ContainerState, timeoutMs = 10_000): void {
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
    const [ev = 0] = addon.poll([pidfd], [POLLIN], timeoutMs);
    if (!(ev & POLLIN)) throw new TsrunError(`container init ${st.pid} did not exit within ${timeoutMs / 1000}s of SIGKILL`);
  } finally {
    closeSync(pidfd);
  }
}
