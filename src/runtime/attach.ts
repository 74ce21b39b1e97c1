/**
 * attach: connects to the shim's socket. The container's live output goes to our stdout/stderr; our stdin goes
 * to the container (if it has a terminal, or was created with --stdin); a terminal is put in raw mode and its
 * size follows ours (SIGWINCH). The detach keys (default ctrl-p,ctrl-q) leave the container running. When the
 * container exits, attach exits with its exit code.
 */
import { closeSync, createReadStream, constants as fsc, openSync, writeSync } from 'node:fs';
import type { ReadStream } from 'node:tty';
import { join } from 'node:path';
import { TsrunError } from '../errors.js';
import { netModule, ttyModule } from '../util/builtins.js';
import { Frame, findSupervised, frame, parseFrames, resizePayload, shimAlive, waitShim } from './shim.js';
import { ATTACH_SOCKET, readExitRecord } from './state.js';

export interface AttachOptions {
  noStdin: boolean;
  /** docker's syntax: "ctrl-p,ctrl-q", "a,b", "" for none. */
  detachKeys: string;
}

/** "ctrl-p,ctrl-q" → [0x10, 0x11]. */
export function parseDetachKeys(spec: string): number[] {
  if (spec === '') return [];
  return spec.split(',').map((k) => {
    const key = k.trim().toLowerCase();
    const ctrl = /^ctrl-(.)$/.exec(key);
    if (ctrl) {
      const c = ctrl[1]!;
      if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
      const special: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };
      if (c in special) return special[c]!;
    } else if (key.length === 1) return key.charCodeAt(0);
    throw new TsrunError(`invalid detach keys ${JSON.stringify(spec)}: ${JSON.stringify(k)} is not a key (a letter, or ctrl-<letter>)`);
  });
}

/** Finds the detach sequence across chunks; returns the bytes to forward and whether it was completed. */
export class DetachScanner {
  private matched = 0;
  constructor(private readonly keys: number[]) {}

  scan(chunk: Buffer): { forward: Buffer; detach: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detach: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      // A broken sequence: what was held back goes through after all.
      if (this.matched > 0) out.push(...this.keys.slice(0, this.matched));
      this.matched = 0;
      if (b === this.keys[0]) this.matched = 1;
      else out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

export async function attachContainer(root: string, id: string, opts: AttachOptions, execPid?: number): Promise<number> {
  const st = findSupervised(root, id, execPid);
  if (!st.shim) throw new TsrunError(`${st.what} has no shim to attach to: its caller supervises it`);
  if (!shimAlive(st)) throw new TsrunError(`cannot attach to ${st.what}: it has exited`);
  const keys = parseDetachKeys(opts.detachKeys);
  // Through the directory's fd: the state path may be longer than a socket address allows.
  const dirFd = openSync(st.dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  const { ReadStream, WriteStream, isatty } = ttyModule();
  const sock = netModule().connect({ path: join(`/proc/self/fd/${dirFd}`, ATTACH_SOCKET) });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', (e) => reject(new TsrunError(`attach ${id}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'the container has exited' : e.message}`)));
  });
  closeSync(dirFd);

  // Real streams on our stdio (the CLI replaces process.stdin/stdout with plain writers, for create's sake).
  const tty = st.terminal && isatty(0);
  const out = isatty(1) ? new WriteStream(1) : undefined;
  const write = (fd: 1 | 2, b: Buffer) => {
    if (fd === 1 && out) out.write(b);
    else writeSync(fd, b);
  };
  const sendSize = () => {
    const rows = out?.rows ?? 0;
    const cols = out?.columns ?? 0;
    if (!rows || !cols) return;
    sock.write(frame(Frame.RESIZE, resizePayload(rows, cols)));
  };
  if (st.terminal && out) {
    sendSize();
    out.on('resize', sendSize);
  }
  let detached = false;
  let input: (NodeJS.ReadableStream & { destroy(): void }) | undefined;
  if (!opts.noStdin) {
    // A terminal as a tty stream; anything else (pipe, socket, file) read with plain read(2) calls.
    input = isatty(0) ? new ReadStream(0) : createReadStream('', { fd: 0, autoClose: false });
    if (tty) (input as ReadStream).setRawMode(true);
    const scanner = new DetachScanner(tty ? keys : []);
    input.on('data', (d: Buffer) => {
      const { forward, detach } = scanner.scan(d);
      if (forward.length) sock.write(frame(Frame.STDIN, forward));
      if (detach) {
        detached = true;
        sock.end();
      }
    });
    // The end of our input is ours alone: the container's stdin stays open for the next client.
    input.on('error', () => undefined);
  }
  let rest: Buffer = Buffer.alloc(0);
  sock.on('data', (d: Buffer) => {
    rest = parseFrames(Buffer.concat([rest, d]), (type, payload) => write(type === Frame.STDERR ? 2 : 1, payload));
  });
  sock.on('error', () => undefined);
  await new Promise<void>((resolve) => sock.once('close', () => resolve()));
  if (tty) (input as ReadStream).setRawMode(false);
  input?.destroy();
  out?.off('resize', sendSize);
  out?.destroy();
  if (detached) return 0;
  // The shim closes us once the init has exited and its record is written.
  await waitShim(st);
  return readExitRecord(st.dir)?.exitCode ?? 0;
}
