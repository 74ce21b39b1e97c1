/**
 * logs: the container's output as the shim recorded it (container.log.1 then container.log, CRI line format:
 * `<RFC 3339 nano> <stdout|stderr> <P|F> <text>`), stdout lines to stdout and stderr lines to stderr, partial
 * records joined. --follow keeps reading (woken by inotify, never a sleep loop) until the shim has finished.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync, watch, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TsrunError } from '../errors.js';
import { findSupervised, shimAlive, waitShim } from './shim.js';
import { LogChar, LogStream, LogTag, ShimFile } from '../native/contract.js';
import { LOG_FILE } from './state.js';

export interface LogsOptions {
  follow: boolean;
  /** Only the last N lines (of what is there when the command starts). */
  tail?: number;
  timestamps: boolean;
}

type Stream = (typeof LogStream)[keyof typeof LogStream];

/** A CRI record (src/native/contract.ts LogStream, LogTag, LogChar): time, stream, tag, text. */
const RECORD = (() => {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const sep = esc(LogChar.SEPARATOR);
  const streams = Object.values(LogStream).map(esc).join('|');
  const tags = Object.values(LogTag).map(esc).join('|');
  return new RegExp(`^(\\S+)${sep}(${streams})${sep}(${tags})${sep}(.*)$`, 's');
})();

export interface LogLine {
  time: string;
  stream: Stream;
  text: string;
  /** false for the last piece of a line the container has not finished (no newline yet). */
  complete: boolean;
}

/** Joins CRI records into lines; records of the two streams may interleave. */
export class LineAssembler {
  private pending: Record<Stream, { time: string; text: string } | undefined> = { [LogStream.STDOUT]: undefined, [LogStream.STDERR]: undefined };
  private rest = '';

  /** Feeds raw file text (possibly ending mid-record); returns the lines completed by it. */
  feed(chunk: string): LogLine[] {
    const text = this.rest + chunk;
    const end = text.lastIndexOf(LogChar.END);
    this.rest = text.slice(end + 1);
    const out: LogLine[] = [];
    if (end < 0) return out;
    for (const rec of text.slice(0, end).split(LogChar.END)) {
      const m = RECORD.exec(rec);
      if (!m) continue;
      const [, time, stream, tag, body] = m as unknown as [string, string, Stream, string, string];
      const p = this.pending[stream];
      const joined = { time: p?.time ?? time, text: (p?.text ?? '') + body };
      if (tag === LogTag.PARTIAL) this.pending[stream] = joined;
      else {
        this.pending[stream] = undefined;
        out.push({ ...joined, stream, complete: true });
      }
    }
    return out;
  }

  /** Pieces of lines never finished (the container ended without a newline). */
  unfinished(): LogLine[] {
    const out: LogLine[] = [];
    for (const stream of Object.values(LogStream)) {
      const p = this.pending[stream];
      if (p) out.push({ ...p, stream, complete: false });
      this.pending[stream] = undefined;
    }
    return out;
  }
}

function print(lines: LogLine[], timestamps: boolean): void {
  for (const l of lines) writeSync(l.stream === LogStream.STDERR ? 2 : 1, `${timestamps ? `${l.time} ` : ''}${l.text}${l.complete ? '\n' : ''}`);
}

/** Reads a log file from `pos` to its current end. */
function readFrom(fd: number, pos: number): { text: string; pos: number } {
  const parts: Buffer[] = [];
  const buf = Buffer.alloc(1 << 16);
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    parts.push(Buffer.from(buf.subarray(0, n)));
    pos += n;
  }
  return { text: Buffer.concat(parts).toString('utf8'), pos };
}

export async function containerLogs(root: string, id: string, opts: LogsOptions, execPid?: number): Promise<void> {
  const st = findSupervised(root, id, execPid);
  const current = join(st.logDir, LOG_FILE);
  if (!st.shim || !existsSync(current)) throw new TsrunError(`${st.what} has no log: its output goes where its caller put it`);
  const asm = new LineAssembler();
  // What is there now: the rotated file first, then the current one.
  let lines: LogLine[] = [];
  const old = join(st.logDir, ShimFile.LOG_ROTATED);
  if (existsSync(old)) {
    const fd = openSync(old, 'r');
    lines = lines.concat(asm.feed(readFrom(fd, 0).text));
    closeSync(fd);
  }
  let fd = openSync(current, 'r');
  let r = readFrom(fd, 0);
  let pos = r.pos;
  lines = lines.concat(asm.feed(r.text));
  const following = opts.follow && shimAlive(st);
  if (!following) lines = lines.concat(asm.unfinished());
  print(opts.tail === undefined ? lines : lines.slice(Math.max(0, lines.length - opts.tail)), opts.timestamps);
  if (!following) {
    closeSync(fd);
    return;
  }

  // Follow: read what is appended; on rotation finish the old file, then go on with the new one.
  const drain = () => {
    for (;;) {
      r = readFrom(fd, pos);
      pos = r.pos;
      print(asm.feed(r.text), opts.timestamps);
      let rotated = false;
      try {
        rotated = statSync(current).ino !== fstatSync(fd).ino;
      } catch {
        rotated = false;
      }
      if (!rotated) return;
      closeSync(fd);
      fd = openSync(current, 'r');
      pos = 0;
    }
  };
  const watcher = watch(st.logDir, () => drain());
  try {
    await waitShim(st);
    drain();
    print(asm.unfinished(), opts.timestamps);
  } finally {
    watcher.close();
    closeSync(fd);
  }
}
