/** Helpers shared by the v1 and v2 statistics readers. */
import { CgroupFiles } from './io.js';
import { parseKeyValues, parseSingleInt, parseSingleUint } from './parse.js';
import type { CgroupStats } from './types.js';

export function emptyStats(): CgroupStats {
  return {
    cpu: { usage: { total: 0n, kernel: 0n, user: 0n }, throttling: {} },
    memory: { usage: {} },
    pids: {},
    blkio: {},
  };
}

/** A single unsigned value, undefined when the file is not there. */
export function readUint(files: CgroupFiles, dir: string, file: string): bigint | undefined {
  const t = files.tryRead(dir, file);
  return t === undefined ? undefined : parseSingleUint(t, dir, file);
}

export function readInt(files: CgroupFiles, dir: string, file: string): bigint | undefined {
  const t = files.tryRead(dir, file);
  return t === undefined ? undefined : parseSingleInt(t, dir, file);
}

/** "key value" lines as a record, undefined when the file is not there. */
export function readKeyValues(files: CgroupFiles, dir: string, file: string): Record<string, bigint> | undefined {
  const t = files.tryRead(dir, file);
  if (t === undefined) return undefined;
  const out: Record<string, bigint> = {};
  for (const [k, v] of parseKeyValues(t, dir, file)) out[k] = v;
  return out;
}

/** Drops undefined members; undefined when nothing is left. */
export function compact<T extends object>(o: T): T | undefined {
  const out = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** "2MB" from a hugetlb file name such as hugetlb.2MB.limit_in_bytes / hugetlb.2MB.max, in size order. */
export function hugePageSizes(names: string[], suffix: string): string[] {
  const re = new RegExp(`^hugetlb\\.([0-9]+[KMG]B)\\.${suffix.replace(/\./g, '\\.')}$`);
  const sizes = names.map((n) => re.exec(n)?.[1]).filter((s): s is string => s !== undefined);
  const bytes = (s: string) => Number(s.slice(0, -2)) * ({ K: 1, M: 1024, G: 1024 * 1024 }[s.slice(-2, -1)] ?? 1);
  return [...new Set(sizes)].sort((a, b) => bytes(a) - bytes(b));
}
