/** The value formats runc's flags take: docker's RAMInBytes sizes and Go durations. */
import { TsrunError } from '../errors.js';

const SIZE = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i;
const MULT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** "512m", "1G", "1.5g", "100" (bytes), "-1" (unlimited), as docker/go-units RAMInBytes and runc's update read them. */
export function parseBytes(s: string): number {
  if (s.trim() === '-1') return -1;
  const m = SIZE.exec(s.trim());
  if (!m) throw new Error(`invalid size: '${s}'`);
  return Math.floor(parseFloat(m[1]!) * MULT[(m[2] ?? '').toLowerCase()]!);
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("500ms", "5s", "1m30s") in milliseconds. */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let rest = s.trim();
  const neg = rest.startsWith('-');
  if (neg || rest.startsWith('+')) rest = rest.slice(1);
  if (rest === '0') return 0;
  let consumed = 0;
  re.lastIndex = 0;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    total += parseFloat(m[1]!) * UNITS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== rest.length) throw new Error(`invalid duration "${s}"`);
  return neg ? -total : total;
}

/** setInterval's longest wait (a longer one fires at once, every millisecond). */
const MAX_INTERVAL_MS = 2 ** 31 - 1;

/** `events --interval`: a Go duration in ms, more than 0 (runc's check) and no longer than a timer can wait. */
export function parseInterval(s: string): number {
  const ms = parseDuration(s);
  if (ms <= 0) throw new TsrunError('duration interval must be greater than 0');
  if (ms > MAX_INTERVAL_MS) throw new TsrunError(`duration interval must be at most 596h31m23.647s, got ${s}`);
  return Math.max(1, Math.ceil(ms));
}
