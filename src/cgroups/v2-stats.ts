/**
 * Statistics from a cgroup v2 directory in runc's shape (fs2 statPids, statMemory, statIo, statCpu,
 * statHugeTlb). A file that is not there leaves its field out.
 */
import { CgroupFiles } from './io.js';
import { CgroupParseError, MAX_UINT64, parseUintLoose, valueByKey } from './parse.js';
import { readProcs } from './procs.js';
import { compact, emptyStats, hugePageSizes, readKeyValues, readUint } from './stats-common.js';
import type { BlkioEntry, CgroupStats } from './types.js';

function pids(files: CgroupFiles, dir: string, s: CgroupStats): void {
  const current = readUint(files, dir, 'pids.current');
  if (current === undefined) {
    // The pids controller is not enabled: count the processes instead.
    if (!files.exists(dir, 'cgroup.procs')) return;
    s.pids.current = BigInt(readProcs(files, dir).length);
    s.pids.limit = 0n;
    return;
  }
  s.pids.current = current;
  const max = readUint(files, dir, 'pids.max');
  if (max !== undefined) s.pids.limit = max === MAX_UINT64 ? 0n : max;
}

function memory(files: CgroupFiles, dir: string, s: CgroupStats): void {
  const raw = readKeyValues(files, dir, 'memory.stat');
  if (raw) {
    s.memory.raw = raw;
    s.memory.cache = raw.file ?? 0n;
  }
  const usage = compact({
    usage: readUint(files, dir, 'memory.current'),
    limit: readUint(files, dir, 'memory.max'),
    max: readUint(files, dir, 'memory.peak'),
  });
  if (usage) s.memory.usage = usage;
  const swapCurrent = readUint(files, dir, 'memory.swap.current');
  if (swapCurrent === undefined) return;
  // v1 reported memory+swap: so does runc on v2, adding the memory values (peak cannot be added).
  const swapMax = readUint(files, dir, 'memory.swap.max');
  const swap: NonNullable<CgroupStats['memory']['swap']> = { usage: swapCurrent + (usage?.usage ?? 0n) };
  if (swapMax !== undefined) swap.limit = swapMax === MAX_UINT64 ? swapMax : swapMax + (usage?.limit ?? 0n);
  s.memory.swap = swap;
}

function cpu(files: CgroupFiles, dir: string, s: CgroupStats): void {
  const kv = readKeyValues(files, dir, 'cpu.stat');
  if (!kv) return;
  if (kv.usage_usec !== undefined) s.cpu.usage.total = kv.usage_usec * 1000n;
  if (kv.user_usec !== undefined) s.cpu.usage.user = kv.user_usec * 1000n;
  if (kv.system_usec !== undefined) s.cpu.usage.kernel = kv.system_usec * 1000n;
  if (kv.nr_periods !== undefined) s.cpu.throttling.periods = kv.nr_periods;
  if (kv.nr_throttled !== undefined) s.cpu.throttling.throttledPeriods = kv.nr_throttled;
  if (kv.throttled_usec !== undefined) s.cpu.throttling.throttledTime = kv.throttled_usec * 1000n;
}

/** io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." as v1's io_service_bytes / io_serviced tables. */
function io(files: CgroupFiles, dir: string, s: CgroupStats): void {
  const text = files.tryRead(dir, 'io.stat');
  if (text === undefined) return;
  const bytes: BlkioEntry[] = [];
  const serviced: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2) continue;
    const d = parts[0]!.split(':');
    if (d.length !== 2) continue;
    const dev = d.map((x) => parseUintLoose(x));
    if (!/^[0-9]+$/.test(d[0]!) || !/^[0-9]+$/.test(d[1]!) || dev[0] === undefined || dev[1] === undefined)
      throw new CgroupParseError(dir, 'io.stat', `invalid syntax: ${JSON.stringify(parts[0])}`);
    const [major, minor] = [dev[0], dev[1]];
    for (const item of parts.slice(1)) {
      const kv = item.split('=');
      if (kv.length !== 2) continue;
      const table = { rbytes: bytes, wbytes: bytes, rios: serviced, wios: serviced }[kv[0]!];
      if (!table) continue;
      const value = /^[0-9]+$/.test(kv[1]!) ? parseUintLoose(kv[1]!) : undefined;
      if (value === undefined) throw new CgroupParseError(dir, 'io.stat', `invalid syntax: ${JSON.stringify(kv[1])}`);
      table.push({ major, minor, op: kv[0]!.startsWith('r') ? 'Read' : 'Write', value });
    }
  }
  s.blkio = { ioServiceBytesRecursive: bytes, ioServicedRecursive: serviced };
}

function hugetlb(files: CgroupFiles, dir: string, s: CgroupStats): void {
  let rsvd = '.rsvd';
  const out: NonNullable<CgroupStats['hugetlb']> = {};
  for (const size of hugePageSizes(files.fileNames(dir), 'max')) {
    let usage = readUint(files, dir, `hugetlb.${size}${rsvd}.current`);
    if (usage === undefined && rsvd !== '') {
      rsvd = '';
      usage = readUint(files, dir, `hugetlb.${size}.current`);
    }
    const events = files.tryRead(dir, `hugetlb.${size}.events`);
    const failcnt = events === undefined ? 0n : valueByKey(events, 'max', dir, `hugetlb.${size}.events`);
    out[size] = usage === undefined ? { failcnt } : { usage, failcnt };
  }
  s.hugetlb = out;
}

/** Statistics of a v2 container directory. */
export function statsV2(files: CgroupFiles, dir: string): CgroupStats {
  const s = emptyStats();
  if (!files.exists(dir)) return s;
  pids(files, dir, s);
  memory(files, dir, s);
  io(files, dir, s);
  cpu(files, dir, s);
  hugetlb(files, dir, s);
  return s;
}
