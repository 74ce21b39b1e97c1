/**
 * runc-compatible logging: `--log FILE` gets one line per event, logrus text (`time="…" level=… msg="…"`) or
 * JSON (`{"level":…,"msg":…,"time":…}`) with `--log-format json`. containerd reports the last `error` line of
 * the file, podman reads the whole file as one JSON object, so every line is complete and valid.
 * Without --log, warnings go to stderr and the fatal error is printed as plain text (a JSON line with
 * --log-format json).
 * Writes are synchronous: nothing of Node touches fds 0-2 through stream objects.
 */
import { closeSync, fstatSync, lstatSync, openSync, writeSync, constants as fsc } from 'node:fs';
import { TsrunError, describeNodeError, errnoMessage } from './errors.js';
import { O_CLOEXEC, fileKind } from './util/fs.js';

export type Level = 'debug' | 'info' | 'warning' | 'error';

interface LogConfig {
  file?: string;
  format: 'text' | 'json';
  debug: boolean;
}

let config: LogConfig = { format: 'text', debug: false };
let fd = -1;
/** fd is one of ours to close (not the caller's stdout or stderr). */
let ownFd = false;

/**
 * Names of our own stdout and stderr. /dev/stderr is a root-owned symlink to /proc/self/fd/2, which O_NOFOLLOW
 * refuses; what the caller means is the descriptor tsrun already has, so it is used as is and no link is followed.
 */
const STDIO: Record<string, number> = {
  '/dev/stdout': 1,
  '/dev/stderr': 2,
  '/dev/fd/1': 1,
  '/dev/fd/2': 2,
  '/proc/self/fd/1': 1,
  '/proc/self/fd/2': 2,
};

/**
 * Opens `--log FILE` for appending. The file may sit in a directory others can write (it is appended to across
 * calls, so it cannot be made new): a symlink planted there is not followed (O_NOFOLLOW), and only a regular file
 * or a character device (/dev/null, a tty) is written to. O_NONBLOCK keeps a FIFO from blocking the open.
 */
export function openLogFile(file: string): { fd: number; own: boolean } {
  const std = STDIO[file];
  if (std !== undefined) {
    try {
      fstatSync(std); // closed: say so now rather than fail at the first log line
    } catch (err) {
      throw new TsrunError(`open log file ${file}: ${describeNodeError(err).replace(/^fstat: /, '')}`);
    }
    return { fd: std, own: false };
  }
  let f: number;
  try {
    f = openSync(file, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT | fsc.O_NOFOLLOW | fsc.O_NONBLOCK | O_CLOEXEC, 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ELOOP: a symlink; ENXIO: a FIFO nobody reads. Say what is there rather than the errno.
    if (code === 'ELOOP' || code === 'ENXIO') {
      let kind: string | undefined;
      try {
        kind = fileKind(lstatSync(file));
      } catch {
        // gone meanwhile: report the errno
      }
      if (kind) throw notWritable(file, kind);
    }
    const errno = (err as NodeJS.ErrnoException).errno;
    throw new TsrunError(`open log file ${file}: ${typeof errno === 'number' ? errnoMessage(Math.abs(errno)) : describeNodeError(err)}`);
  }
  const st = fstatSync(f);
  if (st.isFile()) return { fd: f, own: true };
  if (st.isCharacterDevice()) {
    // Blocking writes on a tty: reopen our own descriptor without O_NONBLOCK (no path is resolved again).
    try {
      return { fd: openSync(`/proc/self/fd/${f}`, fsc.O_WRONLY | fsc.O_APPEND | O_CLOEXEC), own: true };
    } finally {
      closeSync(f);
    }
  }
  closeSync(f);
  throw notWritable(file, fileKind(st));
}

function notWritable(file: string, kind: string): TsrunError {
  if (kind === 'a symlink') return new TsrunError(`log file ${file}: a symlink, not followed (give the path it leads to)`);
  return new TsrunError(`log file ${file}: not a regular file or a character device (${kind})`);
}

export function configureLog(c: LogConfig): void {
  if (fd >= 0 && c.file !== config.file) {
    if (ownFd) closeSync(fd);
    fd = -1;
  }
  config = c;
  if (c.file && fd < 0) ({ fd, own: ownFd } = openLogFile(c.file));
}

function textQuote(s: string): string {
  return JSON.stringify(s);
}

export function formatLine(level: Level, msg: string, format: 'text' | 'json', time = new Date()): string {
  const t = time.toISOString().replace(/\.\d+Z$/, 'Z');
  if (format === 'json') return JSON.stringify({ level, msg, time: t }) + '\n';
  return `time=${textQuote(t)} level=${level} msg=${textQuote(msg)}\n`;
}

function emit(level: Level, msg: string): void {
  const line = formatLine(level, msg, config.format);
  if (fd >= 0) writeSync(fd, line);
  else writeSync(2, line);
}

export const log = {
  debug(msg: string): void {
    if (config.debug) emit('debug', msg);
  },
  warn(msg: string): void {
    emit('warning', msg);
  },
  /**
   * The fatal error of this invocation: in the log file and, plain, on stderr. Without --log but with
   * --log-format json, stderr gets the JSON line instead (as runc: a caller asked for JSON there).
   */
  fatal(msg: string): void {
    if (fd >= 0) writeSync(fd, formatLine('error', msg, config.format));
    try {
      if (fd < 0 && config.format === 'json') writeSync(2, formatLine('error', msg, 'json'));
      else writeSync(2, msg.endsWith('\n') ? msg : msg + '\n');
    } catch {
      // stderr closed: the log file (if any) has it
    }
  },
  get toFile(): boolean {
    return fd >= 0;
  },
};
