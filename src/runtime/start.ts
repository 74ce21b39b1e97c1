/** start: release the init blocked on exec.fifo and wait until it has taken the step. */
import { closeSync, existsSync, openSync, readSync, unlinkSync, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { TsrunError } from '../errors.js';
import { native } from '../native/addon.js';
import { StateFile } from '../native/contract.js';
import { runHooksLogged } from './hooks.js';
import { bindNotifySocket, forwardReady, hostNotifySocket } from './notify-socket.js';
import { StateDir, stateJson, statusOf, type ContainerState } from './state.js';

const POLLIN = 1;
const POLLHUP = 0x10;

export function startContainer(root: string, id: string): void {
  const dir = new StateDir(root, id);
  const st = dir.load();
  const addon = native();
  dir.lock(addon.flock);
  const host = hostNotifySocket();
  let sock = -1;
  try {
    if (host && existsSync(join(dir.dir, StateFile.NOTIFY))) sock = bindNotifySocket(dir.dir);
    release(dir, st);
  } finally {
    dir.unlock();
  }
  poststart(st);
  // With NOTIFY_SOCKET, start returns once the container said READY=1 (or exited), as runc does.
  if (sock >= 0) forwardReady(sock, host!, st.pid);
}

/** poststart hooks: after the process was started; failures are logged, not fatal (runtime-spec). */
export function poststart(st: ContainerState): void {
  if (st.config.hooks?.poststart?.length) runHooksLogged('poststart', st.config.hooks.poststart, stateJson(st, 'running'), st.bundle);
}

export function release(dir: StateDir, st: ContainerState): void {
  const status = statusOf(dir, st);
  if (status === 'stopped') throw new TsrunError('cannot start a container that has stopped');
  if (status !== 'created') throw new TsrunError('cannot start an already running container');
  const addon = native();
  let pidfd: number;
  try {
    pidfd = addon.pidfdOpen(st.pid);
  } catch {
    throw new TsrunError('cannot start a container that has stopped');
  }
  // Non-blocking open: a reader always succeeds, and the init's blocked open(O_WRONLY) then completes.
  // The init writes one byte, then keeps its end open until execve closes it: EOF means the user's program
  // is executing (or the init is gone).
  const fifo = openSync(dir.fifo, fsc.O_RDONLY | fsc.O_NONBLOCK);
  try {
    let got = 0;
    const buf = Buffer.alloc(16);
    for (;;) {
      // Once the byte came only the fifo's end matters: an exited init stays readable on its pidfd.
      const [fifoEv = 0, pidEv = 0] = got > 0 ? addon.poll([fifo], [POLLIN], -1) : addon.poll([fifo, pidfd], [POLLIN, POLLIN], -1);
      if (fifoEv & (POLLIN | POLLHUP)) {
        let n: number;
        try {
          n = readSync(fifo, buf, 0, buf.length, null);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
          throw err;
        }
        if (n > 0) {
          got += n;
          continue;
        }
        if (got === 0) throw new TsrunError('cannot start container: exec fifo is empty (the init exited before start)');
        break;
      }
      if (pidEv & POLLIN && got === 0) throw new TsrunError('cannot start a container that has stopped');
    }
  } finally {
    closeSync(fifo);
    closeSync(pidfd);
  }
  unlinkSync(dir.fifo);
}
