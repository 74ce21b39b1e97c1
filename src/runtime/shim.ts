/**
 * tsrun's side of the shim (addon/launcher/shim.cc): finding it alive, waiting for it to finish (its exit
 * record is then in place), and the attach socket's framing.
 */
import { closeSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { native } from '../native/addon.js';
import { isSameLiveProcess } from '../util/proc.js';
import type { ContainerState } from './state.js';

const POLLIN = 1;

/** Frame types: shim → client output, client → shim input. */
export const Frame = { STDOUT: 1, STDERR: 2, STDIN: 0, RESIZE: 1, CLOSE_STDIN: 2 } as const;

export function shimAlive(st: ContainerState): boolean {
  return st.shim !== undefined && isSameLiveProcess(st.shim.pid, st.shim.startTime);
}

/** A pidfd on the container's shim, or undefined if it is gone (or the pid is another process now). */
function shimPidfd(st: ContainerState): number | undefined {
  if (!st.shim) return undefined;
  let fd: number;
  try {
    fd = native().pidfdOpen(st.shim.pid);
  } catch {
    return undefined;
  }
  // Checked after opening: from here the pidfd pins the process we verified.
  if (!isSameLiveProcess(st.shim.pid, st.shim.startTime)) {
    closeSync(fd);
    return undefined;
  }
  return fd;
}

/** Blocks (on the shim's pidfd) until the shim has written its record and exited. */
export function waitShimSync(st: ContainerState, timeoutMs: number): void {
  const fd = shimPidfd(st);
  if (fd === undefined) return;
  try {
    const [ev = 0] = native().poll([fd], [POLLIN], timeoutMs);
    if (!(ev & POLLIN)) throw new TsrunError(`the shim of container ${st.id} (pid ${st.shim!.pid}) did not finish within ${timeoutMs / 1000}s`);
  } finally {
    closeSync(fd);
  }
}

export async function waitShim(st: ContainerState): Promise<void> {
  const fd = shimPidfd(st);
  if (fd === undefined) return;
  try {
    await native().pollAsync([fd], [POLLIN]);
  } finally {
    closeSync(fd);
  }
}

export function frame(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeUInt32LE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Splits a stream of frames; returns the bytes of an incomplete frame still to be completed. */
export function parseFrames(buf: Buffer, onFrame: (type: number, payload: Buffer) => void): Buffer {
  let off = 0;
  while (buf.length - off >= 5) {
    const len = buf.readUInt32LE(off + 1);
    if (buf.length - off - 5 < len) break;
    onFrame(buf.readUInt8(off), buf.subarray(off + 5, off + 5 + len));
    off += 5 + len;
  }
  return buf.subarray(off);
}
