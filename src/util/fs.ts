/**
 * Files tsrun writes where others may write too (a pid file in a caller's directory), and files it reads whose
 * content it does not control (config.json, process.json, a container's /etc/passwd): never through a planted
 * symlink, never a device or FIFO that blocks or never ends, never more than a stated limit.
 */
import { closeSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync, constants as fsc, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputFileError, TsrunError, describeNodeError, sysErrorOf } from '../errors.js';

/** Linux's O_CLOEXEC (libuv adds it anyway; spelled out because every fd here must stay out of the container). */
export const O_CLOEXEC = 0o2000000;

/** How much of config.json, process.json or a resources document tsrun reads at most. */
export const INPUT_LIMIT = 16 * 1024 * 1024;
/** A small file of /proc or /sys (status, cgroup, cap_last_cap, ...): far below this. */
export const PROC_TEXT_LIMIT = 1024 * 1024;

const MAX_TRIES = 16;

/**
 * A new file `.<name>.<random>.tmp` in `dir`, created with O_EXCL|O_NOFOLLOW: whatever someone planted there
 * (a symlink, a file) is never opened; a name taken is tried again with another.
 */
function createTemp(dir: string, name: string, mode: number): { fd: number; tmp: string } {
  for (let i = 0; ; i++) {
    const tmp = join(dir, `.${name}.${Math.random().toString(36).slice(2, 12)}.tmp`);
    try {
      const fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW | O_CLOEXEC, mode);
      return { fd, tmp };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i + 1 >= MAX_TRIES) throw err;
    }
  }
}

/**
 * Writes a file so that readers see either the old or the new content: a new temporary file beside it, then
 * rename(2), which replaces a symlink at the target instead of following it. Not flushed to disk (as runc): what
 * tsrun writes (state, pid files, the compiled filter) describes processes that a crash of the machine ends too,
 * and an fsync costs a create a millisecond or more where /run is on disk.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  let made: { fd: number; tmp: string };
  try {
    made = createTemp(dirname(path), basename(path), mode);
  } catch (err) {
    throw writeError(path, err);
  }
  const { fd, tmp } = made;
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
    try {
      unlinkSync(tmp);
    } catch {
      // renamed or gone
    }
    throw writeError(path, err);
  }
}

/** A failed write names the file it was for (write(2) errors carry no path): "write /run/x/state.json: no space…". */
function writeError(path: string, err: unknown): Error {
  return sysErrorOf(err, 'write', `write ${path}`) ?? (err instanceof Error ? err : new Error(String(err)));
}

/** "a FIFO", "a character device": what a path turned out to be instead of a regular file. */
export function fileKind(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symlink';
  return 'not a file';
}

/** 16777216 → "16 MiB". */
export function formatLimit(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

const CHUNK = 64 * 1024;

/**
 * Reads all of fd, failing once more than `limit` bytes came (a device such as /dev/zero never ends; a file
 * may grow while it is read). `name` is what messages call it. Only a regular file unless regularOnly is false
 * (stdin may be a pipe); a pipe another process made non-blocking is waited on with `waitReadable` (a poll(2),
 * never a sleep).
 */
export function readFdBounded(
  fd: number,
  name: string,
  limit: number,
  opts: { regularOnly?: boolean; waitReadable?: (fd: number) => void } = {},
): Buffer {
  const st = fstatSync(fd);
  if (opts.regularOnly !== false && !st.isFile()) throw new InputFileError(name, `not a regular file (${fileKind(st)})`);
  const tooLarge = () => new InputFileError(name, `larger than the limit of ${formatLimit(limit)}`);
  if (st.isFile() && st.size > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      // A non-blocking pipe (stdin shared with a caller) with nothing yet: wait, as a blocking read would.
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && opts.waitReadable) {
        opts.waitReadable(fd);
        continue;
      }
      // The errno is kept (SysError's code): a caller tells a file being removed (ENODEV) from a failure.
      throw sysErrorOf(err, 'read', `read ${name}`) ?? new TsrunError(`read ${name}: ${describeNodeError(err)}`);
    }
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
    total += n;
    if (total > limit) throw tooLarge();
  }
  return Buffer.concat(chunks, total);
}

/**
 * Reads a regular file of at most `limit` bytes. O_NONBLOCK: opening a FIFO must not wait for a writer (the
 * flag means nothing for a regular file). A symlink is followed; what it leads to must be a regular file.
 */
export function readFileBounded(path: string, limit: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK | O_CLOEXEC);
  } catch (err) {
    // "open /abs/config.json: no such file or directory", as runc; the code (ENOENT) stays readable.
    throw sysErrorOf(err, 'open', `open ${path}`) ?? new TsrunError(describeNodeError(err));
  }
  try {
    return readFdBounded(fd, path, limit);
  } finally {
    closeSync(fd);
  }
}
