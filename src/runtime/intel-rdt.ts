/**
 * Intel RDT (resctrl) as runc's `update --l3-cache-schema / --mem-bw-schema` sees it. tsrun does not apply
 * linux.intelRdt (no resctrl group is made for a container), so these flags can never be carried out: they fail
 * with runc's error where the host has no CAT / MBA (as runc does), and with tsrun's own where it has.
 */
import { TsrunError } from '../errors.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readFileBounded } from '../util/fs.js';
import { parseMountInfo } from '../util/mountinfo.js';

export interface RdtFeatures {
  /** Cache Allocation Technology: resctrl mounted with info/L3. */
  cat: boolean;
  /** Memory Bandwidth Allocation: resctrl mounted with info/MB. */
  mba: boolean;
}

/** runc's featuresInit, without /proc/cpuinfo: resctrl exposes info/L3 and info/MB only where the CPU has them. */
export function rdtFeatures(mountinfo = readFileBounded('/proc/self/mountinfo', 16 << 20).toString('utf8')): RdtFeatures {
  const root = parseMountInfo(mountinfo).find((m) => m.fstype === 'resctrl')?.mountpoint;
  if (root === undefined) return { cat: false, mba: false };
  return { cat: existsSync(join(root, 'info', 'L3')), mba: existsSync(join(root, 'info', 'MB')) };
}

/**
 * The --l3-cache-schema and --mem-bw-schema values given (an empty value is none, as with runc), checked before
 * anything is written: each fails with runc 1.1.5's error when its feature is not enabled.
 */
export function checkRdtUpdate(l3CacheSchema: string, memBwSchema: string, f: () => RdtFeatures): void {
  if (l3CacheSchema === '' && memBwSchema === '') return;
  const features = f();
  if (l3CacheSchema !== '' && !features.cat) throw new TsrunError('Intel RDT/CAT: l3 cache schema is not enabled');
  if (memBwSchema !== '' && !features.mba) throw new TsrunError('Intel RDT/MBA: memory bandwidth schema is not enabled');
  throw new TsrunError('Intel RDT: tsrun does not apply linux.intelRdt (it makes no resctrl group), so a schema cannot be updated');
}
