/**
 * sd_notify through the container (runc's NOTIFY_SOCKET support). When tsrun runs with NOTIFY_SOCKET set:
 * create bind-mounts <state>/notify on /run/notify in the container and points the container's NOTIFY_SOCKET
 * at /run/notify/notify.sock; start (or run) binds that socket, releases the process, waits for its READY=
 * and passes it on to the host's socket with MAINPID, then completes systemd's barrier handshake.
 */
import { StateFile } from '../native/contract.js';
import { chmodSync, closeSync, mkdirSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { log } from '../log.js';
import { native } from '../native/addon.js';
import type { Mount } from '../spec/schema.js';

export const CONTAINER_NOTIFY_DIR = '/run/notify';
const SOCKET_NAME = 'notify.sock';
const POLLIN = 1;

export function hostNotifySocket(): string | undefined {
  return process.env.NOTIFY_SOCKET || undefined;
}

/** The mount and env a container gets when the runtime itself has a NOTIFY_SOCKET. */
export function notifySetup(stateDir: string): { mount: Mount; env: string } {
  const dir = join(stateDir, StateFile.NOTIFY);
  mkdirSync(dir, { mode: 0o755 });
  return {
    mount: { destination: CONTAINER_NOTIFY_DIR, source: dir, type: 'bind', options: ['bind', 'nosuid', 'noexec', 'nodev', 'ro'] },
    env: `NOTIFY_SOCKET=${CONTAINER_NOTIFY_DIR}/${SOCKET_NAME}`,
  };
}

/** Binds the container's notify socket (before the process is released, so no message is lost). */
export function bindNotifySocket(stateDir: string): number {
  const path = join(stateDir, StateFile.NOTIFY, SOCKET_NAME);
  const fd = native().unixDgram(path, true);
  chmodSync(path, 0o777);
  return fd;
}

/**
 * Waits (on the socket and the init's pidfd, never a sleep) for READY= from the container and passes it to
 * the host's socket with MAINPID; returns quietly if the init exits first.
 */
export function forwardReady(sock: number, host: string, pid: number, mainPid = pid): void {
  const addon = native();
  let pidfd = -1;
  try {
    pidfd = addon.pidfdOpen(pid);
  } catch {
    return;
  }
  const buf = Buffer.alloc(4096);
  try {
    for (;;) {
      const [sev = 0, pev = 0] = addon.poll([sock, pidfd], [POLLIN, POLLIN], -1);
      if (sev & POLLIN) {
        const n = readSync(sock, buf, 0, buf.length, null);
        const msg = buf.toString('utf8', 0, n);
        if (!msg.startsWith('READY=')) continue;
        const ready = msg.split('\n')[0]!;
        notifyHost(host, ready, mainPid);
        return;
      }
      if (pev & POLLIN) return;
    }
  } finally {
    closeSync(pidfd);
    closeSync(sock);
  }
}

function notifyHost(host: string, ready: string, mainPid: number): void {
  const addon = native();
  const client = addon.unixDgram(host, false);
  try {
    writeSync(client, `${ready}\n`);
    writeSync(client, `MAINPID=${mainPid}\n`);
    // sd_notify_barrier: systemd closes the pipe's write end once it has processed everything before it.
    const [r, w] = addon.pipe();
    try {
      addon.sendFd(client, 'BARRIER=1', w);
      closeSync(w);
      const [ev = 0] = addon.poll([r], [POLLIN], 30_000);
      if (!ev) log.warn('Timeout after waiting 30s for barrier. Ignored.');
    } finally {
      closeSync(r);
    }
  } finally {
    closeSync(client);
  }
}
