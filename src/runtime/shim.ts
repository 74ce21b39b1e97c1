/**
 * tsrun's side of the shim (addon/launcher/shim.cc): finding it alive, waiting for it to finish (its exit
 * record is then in place), and the attach socket's framing.
 */
import { closeSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { native } from '../native/addon.js';
import { pollFds } from '../native/wait.js';
import { existsSync } from 'node:fs';
import { readFileBounded } from '../util/fs.js';
import { join } from 'node:path';
import { isSameLiveProcess } from '../util/proc.js';
import { execLogDir } from './log-dir.js';
import { StateDir } from './state.js';
import { EXIT_FILE_LIMIT, FrameLayout, InputFrame, OutputFrame, ResizeLayout, StateFile } from '../native/contract.js';

const POLLIN = 1;

/** Frame types (src/native/contract.ts): shim → client output, client → shim input. */
export const Frame = { ...OutputFrame, ...InputFrame } as const;

export interface ShimRef {
  pid: number;
  startTime: string;
}

/** What a shim supervises: a container's init, or a process exec'd into it with -d. */
export interface Supervised {
  /** For messages: `container X`, `process P of container X`. */
  what: string;
  /** Where the shim keeps its socket and exit record. */
  dir: string;
  /** Where it keeps container.log (see log-dir.ts). */
  logDir: string;
  /** undefined: the caller supervises it, not tsrun's shim. */
  shim?: ShimRef;
  terminal: boolean;
}

/** The directory of a process exec'd with -d under a shim: <state>/execs/<pid>. */
export function execDir(stateDir: string, pid: number): string {
  return join(stateDir, StateFile.EXECS, String(pid));
}

export const EXEC_SHIM_FILE = StateFile.EXEC_SHIM;

export function findSupervised(root: string, id: string, execPid?: number): Supervised {
  const dir = new StateDir(root, id);
  const st = dir.load();
  // State written before logs moved out of the state directory has no logDir: the log is beside the state.
  if (execPid === undefined) return { what: `container ${id}`, dir: dir.dir, logDir: st.logDir ?? dir.dir, shim: st.shim, terminal: st.config.terminal };
  const d = execDir(dir.dir, execPid);
  const file = join(d, EXEC_SHIM_FILE);
  if (!existsSync(file)) throw new TsrunError(`process ${execPid} of container ${id} is not supervised by tsrun's shim: its caller supervises it`);
  const rec = JSON.parse(readFileBounded(file, EXIT_FILE_LIMIT).toString('utf8')) as ShimRef & { terminal?: boolean };
  return {
    what: `process ${execPid} of container ${id}`,
    dir: d,
    logDir: st.logDir ? execLogDir(st.logDir, execPid) : d,
    shim: { pid: rec.pid, startTime: rec.startTime },
    terminal: rec.terminal === true,
  };
}

export function shimAlive(s: { shim?: ShimRef }): boolean {
  return s.shim !== undefined && isSameLiveProcess(s.shim.pid, s.shim.startTime);
}

/** A pidfd on the shim, or undefined if it is gone (or the pid is another process now). */
function shimPidfd(s: { shim?: ShimRef }): number | undefined {
  if (!s.shim) return undefined;
  let fd: number;
  try {
    fd = native().pidfdOpen(s.shim.pid);
  } catch {
    return undefined;
  }
  // Checked after opening: from here the pidfd pins the process we verified.
  if (!isSameLiveProcess(s.shim.pid, s.shim.startTime)) {
    closeSync(fd);
    return undefined;
  }
  return fd;
}

/** Blocks (on the shim's pidfd) until the shim has written its record and exited. */
export function waitShimSync(s: { id: string; shim?: ShimRef }, timeoutMs: number): void {
  const fd = shimPidfd(s);
  if (fd === undefined) return;
  try {
    const [ev = 0] = native().poll([fd], [POLLIN], timeoutMs);
    if (!(ev & POLLIN)) throw new TsrunError(`the shim of container ${s.id} (pid ${s.shim!.pid}) did not finish within ${timeoutMs / 1000}s`);
  } finally {
    closeSync(fd);
  }
}

export async function waitShim(s: { shim?: ShimRef }): Promise<void> {
  const fd = shimPidfd(s);
  if (fd === undefined) return;
  try {
    await pollFds([fd], [POLLIN]);
  } finally {
    closeSync(fd);
  }
}

/** One attach frame (FrameLayout): u8 type, u32 little-endian payload length, payload. */
export function frame(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(FrameLayout.HEADER_SIZE);
  head.writeUInt8(type, FrameLayout.TYPE);
  head.writeUInt32LE(payload.length, FrameLayout.LENGTH);
  return Buffer.concat([head, payload]);
}

/** The payload of an InputFrame.RESIZE frame (ResizeLayout): u16 little-endian rows and columns. */
export function resizePayload(rows: number, cols: number): Buffer {
  const b = Buffer.alloc(ResizeLayout.SIZE);
  b.writeUInt16LE(rows, ResizeLayout.ROWS);
  b.writeUInt16LE(cols, ResizeLayout.COLS);
  return b;
}

/** Splits a stream of frames; returns the bytes of an incomplete frame still to be completed. */
export function parseFrames(buf: Buffer, onFrame: (type: number, payload: Buffer) => void): Buffer {
  let off = 0;
  while (buf.length - off >= FrameLayout.HEADER_SIZE) {
    const len = buf.readUInt32LE(off + FrameLayout.LENGTH);
    if (buf.length - off - FrameLayout.HEADER_SIZE < len) break;
    const body = off + FrameLayout.HEADER_SIZE;
    onFrame(buf.readUInt8(off + FrameLayout.TYPE), buf.subarray(body, body + len));
    off = body + len;
  }
  return buf.subarray(off);
}
