/**
 * Asynchronous waits on fds and children that occupy no thread: the addon's pollWake arms io_uring polls whose
 * completion writes a byte into a pipe, and the event loop (Node's or bun's) watches that pipe as a socket.
 * Neither engine can watch a pidfd or an eventfd itself, and the addon cannot add an fd to bun's loop; the old
 * way, a poll(2) or waitpid(2) blocked on a threadpool thread, held one of libuv's 4 threads per wait (see
 * addon/napi/poll_wake.cc). Where io_uring is refused, pollAsync (that threadpool wait) is the fallback.
 */
import { closeSync } from 'node:fs';
import { isNativeError } from '../errors.js';
import { netModule } from '../util/builtins.js';
import { native } from './addon.js';
import type { NativeAddon } from './contract.js';

const POLLIN = 1;
const WNOHANG = 1;

/** io_uring is refused here (old kernel, io_uring_disabled, a seccomp filter): the threadpool wait is used. */
let noRing = false;
const REFUSED = new Set(['ENOSYS', 'EPERM', 'EACCES', 'EOPNOTSUPP', 'EINVAL', 'ENOMEM']);

interface BunFile {
  stream(): ReadableStream<Uint8Array>;
}
const bun = (globalThis as { Bun?: { file(fd: number): BunFile } }).Bun;

/**
 * Resolves once the pipe read end `fd` (non-blocking) is readable or hung up, through the engine's event loop;
 * closes it. Node watches a pipe given to net.Socket; bun's net.Socket never reads from an fd given to it, but
 * Bun.file(fd).stream() watches a pipe in bun's loop (no thread blocked in read: /proc/self/task/<tid>/syscall).
 */
async function readable(fd: number): Promise<void> {
  if (bun) {
    const reader = bun.file(fd).stream().getReader();
    try {
      await reader.read();
    } finally {
      await reader.cancel().catch(() => {});
      closeSync(fd); // Bun.file(fd) never closes an fd it was given
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const s = new (netModule().Socket)({ fd, readable: true, writable: false });
    const done = (err?: Error) => {
      s.removeAllListeners();
      s.on('error', () => {});
      s.destroy(); // closes fd
      if (err) reject(err);
      else resolve();
    };
    s.once('data', () => done());
    s.once('end', () => done());
    s.once('error', (err) => done(err));
  });
}

/**
 * poll(2) without timeout, asynchronously: resolves with revents per fd once one is ready. The fds stay the
 * caller's (they must stay open until this resolves).
 */
export async function pollFds(fds: number[], events: number[], addon: NativeAddon = native()): Promise<number[]> {
  // Ready already (or invalid: POLLNVAL): no ring to arm.
  const now = addon.poll(fds, events, 0);
  if (now.some((r) => r !== 0)) return now;
  if (noRing) return addon.pollAsync(fds, events);
  let w: { wake: number; ring: number };
  try {
    w = addon.pollWake(fds, events);
  } catch (err) {
    if (!isNativeError(err) || !REFUSED.has(err.code)) throw err;
    noRing = true;
    return addon.pollAsync(fds, events);
  }
  try {
    await readable(w.wake);
  } finally {
    // Cancels the polls not completed (and their writes) before anything else could reuse the fds' numbers.
    closeSync(w.ring);
  }
  const r = addon.poll(fds, events, 0);
  // None ready only if someone else consumed the readiness between the wake and this poll: wait again.
  return r.some((x) => x !== 0) ? r : pollFds(fds, events, addon);
}

/** waitpid(pid, 0) asynchronously: resolves with the raw wait status of the child `pid` once it has exited. */
export async function waitpidAsync(pid: number, addon: NativeAddon = native()): Promise<number> {
  // Not a child (ECHILD) fails at once, and one that has exited already is reaped, as waitpid(pid, 0) would.
  const now = addon.waitpid(pid, WNOHANG);
  if (now.pid === pid) return now.status;
  const pidfd = addon.pidfdOpen(pid); // a child not yet reaped: its pid is still its own
  try {
    await pollFds([pidfd], [POLLIN], addon);
  } finally {
    closeSync(pidfd);
  }
  // Exited (the pidfd is readable): waitpid returns at once (EINTR is retried by the addon).
  return addon.waitpid(pid, 0).status;
}
