/** Parsers for cgroup file contents, with runc's (fscommon) rules. */
import { TsrunError } from '../errors.js';

/**
 * Cgroup counters are 64-bit: they are read as bigint and stay exact to the output (a JS number would turn the
 * kernel's 9223372036854771712 into 9223372036854772000).
 */

/** 2^64 - 1, what runc reports for "max". */
export const MAX_UINT64 = (1n << 64n) - 1n;
/** 2^63 - 1, GetCgroupParamInt's "max". */
export const MAX_INT64 = (1n << 63n) - 1n;

export class CgroupParseError extends TsrunError {
  constructor(path: string, file: string, why: string) {
    super(`unable to parse ${path.replace(/\/+$/, '')}/${file}: ${why}`);
    this.name = 'CgroupParseError';
  }
}

/**
 * runc's ParseUint: an unsigned decimal (strconv.ParseUint: out of range is an error); a negative number (in or
 * out of int64 range) is 0. Returns undefined on garbage.
 */
export function parseUintLoose(s: string): bigint | undefined {
  if (/^\+?[0-9]+$/.test(s)) {
    const v = BigInt(s.replace(/^\+/, ''));
    return v > MAX_UINT64 ? undefined : v;
  }
  if (/^-[0-9]+$/.test(s)) return 0n;
  return undefined;
}

/** A single-value file ("max" is 2^64-1), as GetCgroupParamUint. */
export function parseSingleUint(content: string, path: string, file: string): bigint {
  const s = content.trim();
  if (s === 'max') return MAX_UINT64;
  const v = parseUintLoose(s);
  if (v === undefined) throw new CgroupParseError(path, file, `invalid syntax: ${JSON.stringify(s)}`);
  return v;
}

/** GetCgroupParamInt ("max" is 2^63-1), within int64. */
export function parseSingleInt(content: string, path: string, file: string): bigint {
  const s = content.trim();
  if (s === 'max') return MAX_INT64;
  if (!/^[+-]?[0-9]+$/.test(s)) throw new CgroupParseError(path, file, `invalid syntax: ${JSON.stringify(s)}`);
  const v = BigInt(s.replace(/^\+/, ''));
  if (v > MAX_INT64 || v < -MAX_INT64 - 1n) throw new CgroupParseError(path, file, `value out of range: ${JSON.stringify(s)}`);
  return v;
}

/** "key value" lines (memory.stat, cpu.stat) in file order. */
export function parseKeyValues(content: string, path: string, file: string): [string, bigint][] {
  const out: [string, bigint][] = [];
  for (const line of content.split('\n')) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const val = sp < 0 ? '' : line.slice(sp + 1);
    if (sp < 0 || key === '' || val === '') throw new CgroupParseError(path, file, `line ${JSON.stringify(line)} is not in "key value" format`);
    const v = parseUintLoose(val);
    if (v === undefined) throw new CgroupParseError(path, file, `invalid syntax: ${JSON.stringify(val)}`);
    out.push([key, v]);
  }
  return out;
}

/** GetValueByKey: the value of the line starting with "key ", 0 when no line has it. */
export function valueByKey(content: string, key: string, path: string, file: string): bigint {
  for (const line of content.split('\n')) {
    if (line.startsWith(key + ' ')) {
      const v = parseUintLoose(line.slice(key.length + 1));
      if (v === undefined) throw new CgroupParseError(path, file, `invalid syntax: ${JSON.stringify(line)}`);
      return v;
    }
  }
  return 0n;
}

/** A cpuset list ("0-3,7") as the numbers it names. */
export function parseCpuList(content: string, path: string, file: string): number[] {
  const s = content.trim();
  if (s === '') throw new CgroupParseError(path, file, 'empty file');
  const out: number[] = [];
  for (const part of s.split(',')) {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(part);
    if (!m) throw new CgroupParseError(path, file, `invalid syntax: ${JSON.stringify(part)}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > 65535 || to > 65535) throw new CgroupParseError(path, file, `value out of range: ${JSON.stringify(part)}`);
    if (from > to) throw new CgroupParseError(path, file, 'invalid values, from > to');
    for (let i = from; i <= to; i++) out.push(i);
  }
  return out;
}

/** Process ids, one per line (cgroup.procs). */
export function parsePids(content: string, path: string, file: string): number[] {
  const out: number[] = [];
  for (const line of content.split('\n')) {
    if (line === '') continue;
    if (!/^[0-9]+$/.test(line)) throw new CgroupParseError(path, file, `invalid syntax: ${JSON.stringify(line)}`);
    out.push(Number(line));
  }
  return out;
}

/** Go's %q for the strings we quote in messages. */
export function quote(s: string): string {
  return JSON.stringify(s);
}
