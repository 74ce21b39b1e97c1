/**
 * runc-compatible logging: `--log FILE` gets one line per event, logrus text (`time="…" level=… msg="…"`) or
 * JSON (`{"level":…,"msg":…,"time":…}`) with `--log-format json`. containerd reports the last `error` line of
 * the file, podman reads the whole file as one JSON object, so every line is complete and valid.
 * Without --log, warnings go to stderr and the fatal error is printed as plain text.
 * Writes are synchronous: nothing of Node touches fds 0-2 through stream objects.
 */
import { closeSync, openSync, writeSync, constants as fsc } from 'node:fs';

export type Level = 'debug' | 'info' | 'warning' | 'error';

interface LogConfig {
  file?: string;
  format: 'text' | 'json';
  debug: boolean;
}

let config: LogConfig = { format: 'text', debug: false };
let fd = -1;

export function configureLog(c: LogConfig): void {
  if (fd >= 0 && c.file !== config.file) {
    closeSync(fd);
    fd = -1;
  }
  config = c;
  if (c.file && fd < 0) fd = openSync(c.file, fsc.O_CREAT | fsc.O_WRONLY | fsc.O_APPEND, 0o644);
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
  /** The fatal error of this invocation: always in the log file and, plain, on stderr. */
  fatal(msg: string): void {
    if (fd >= 0) writeSync(fd, formatLine('error', msg, config.format));
    try {
      writeSync(2, msg.endsWith('\n') ? msg : msg + '\n');
    } catch {
      // stderr closed: the log file (if any) has it
    }
  },
  get toFile(): boolean {
    return fd >= 0;
  },
};
