/**
 * Numbers from the command line, read strictly: decimal digits (and a sign where negatives make sense) only,
 * within the range of what they feed, never rounded, truncated or wrapped. yargs' own number type would take
 * "1e3", "0x10", "1.5" and " 7".
 */
import { TsrunError } from '../errors.js';
import { DECIMAL } from '../spec/ids.js';

export const I32_MAX = 2n ** 31n - 1n;
export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;
export const U64_MAX = 2n ** 64n - 1n;

/** A repeated flag keeps its last value, as runc's flag parser does. */
export function lastOf(v: unknown): unknown {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** `--name value` as an integer in [min, max]; the error names the flag, the value and the range. */
export function parseIntFlag(name: string, raw: unknown, min: bigint, max: bigint): number {
  const s = String(lastOf(raw));
  if (!DECIMAL.test(s)) throw new TsrunError(`invalid value for --${name}: ${JSON.stringify(s)} is not a decimal integer`);
  const v = BigInt(s);
  if (v < min || v > max) throw new TsrunError(`invalid value for --${name}: ${s} is out of range (${min} to ${max})`);
  return Number(v);
}

/** A count of fds, lines, ...: 0 to 2^31-1. */
export const parseCount = (name: string, raw: unknown) => parseIntFlag(name, raw, 0n, I32_MAX);

/** A process id (pid_t): 1 to 2^31-1. */
export const parsePid = (name: string, raw: unknown) => parseIntFlag(name, raw, 1n, I32_MAX);
