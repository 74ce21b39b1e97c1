/**
 * Statistics from cgroup v1 files, in runc's shape (fs/*.go GetStats, then events' conversion). A file that
 * is not there leaves its field out.
 */
import { CgroupFiles } from './io.js';
import { CgroupParseError, MAX_UINT64, parseCpuList } from './parse.js';
import { compact, emptyStats, hugePageSizes, readInt, readKeyValues, readUint } from './stats-common.js';
import type { BlkioEntry, CgroupStats, MemoryEntry } from './types.js';
import { cpusetFile, readCpuset } from './v1-apply.js';

const NS_PER_SEC = 1_000_000_000n;
// sysconf(_SC_CLK_TCK) is 100 on Linux.
const CLOCK_TICKS = 100n;

function numbers(fields: string[], dir: string, file: string): bigint[] {
  return fields.map((f) => {
    const v = /^[0-9]+$/.test(f) ? BigInt(f) : undefined;
    if (v === undefined || v > MAX_UINT64) throw new CgroupParseError(dir, file, `invalid syntax: ${JSON.stringify(f)}`);
    return v;
  });
}

function cpuacct(files: CgroupFiles, dir: string, s: CgroupStats): void {
  const stat = files.tryRead(dir, 'cpuacct.stat');
  if (stat !== undefined) {
    const f = stat.trim().split(/\s+/);
    if (f.length < 4 || f[0] !== 'user' || f[2] !== 'system' || !/^[0-9]+$/.test(f[1]!) || !/^[0-9]+$/.test(f[3]!)) {
      throw new CgroupParseError(dir, 'cpuacct.stat', `malformed line: ${stat}`);
    }
    s.cpu.usage.user = (BigInt(f[1]!) * NS_PER_SEC) / CLOCK_TICKS;
    s.cpu.usage.kernel = (BigInt(f[3]!) * NS_PER_SEC) / CLOCK_TICKS;
  }
  const total = readUint(files, dir, 'cpuacct.usage');
  if (total !== undefined) s.cpu.usage.total = total;
  const percpu = files.tryRead(dir, 'cpuacct.usage_percpu');
  if (percpu !== undefined) s.cpu.usage.percpu = numbers(percpu.split(/\s+/).filter(Boolean), dir, 'cpuacct.usage_percpu');
  const all = files.tryRead(dir, 'cpuacct.usage_all');
  if (all !== undefined) {
    const lines = all.split('\n');
    if (!lines[0]!.startsWith('cpu user system')) throw new CgroupParseError(dir, 'cpuacct.usage_all', `malformed line: ${lines[0]}`);
    const user: bigint[] = [];
    const kernel: bigint[] = [];
    for (const line of lines.slice(1)) {
      const f = line.split(' ');
      if (f.length < 3) continue;
      const [u, k] = numbers([f[1]!, f[2]!], dir, 'cpuacct.usage_all');
      user.push(u!);
      kernel.push(k!);
    }
    s.cpu.usage.percpu_kernel = kernel;
    s.cpu.usage.percpu_user = user;
  }
}

function cpu(files: CgroupFiles, dir: string, s: CgroupStats): void {
  const kv = readKeyValues(files, dir, 'cpu.stat');
  if (!kv) return;
  if (kv.nr_periods !== undefined) s.cpu.throttling.periods = kv.nr_periods;
  if (kv.nr_throttled !== undefined) s.cpu.throttling.throttledPeriods = kv.nr_throttled;
  if (kv.throttled_time !== undefined) s.cpu.throttling.throttledTime = kv.throttled_time;
}

function cpuset(files: CgroupFiles, dir: string, s: CgroupStats): void {
  const out: NonNullable<CgroupStats['cpuset']> = {};
  const list = (name: string) => {
    const r = readCpuset(files, dir, name);
    return r === undefined ? undefined : parseCpuList(r.text, dir, r.file);
  };
  const num = (name: string) => readUint(files, dir, cpusetFile(files, dir, name));
  out.cpus = list('cpus');
  out.cpu_exclusive = num('cpu_exclusive');
  out.mems = list('mems');
  out.mem_hardwall = num('mem_hardwall');
  out.mem_exclusive = num('mem_exclusive');
  out.memory_migrate = num('memory_migrate');
  out.memory_spread_page = num('memory_spread_page');
  out.memory_spread_slab = num('memory_spread_slab');
  out.memory_pressure = num('memory_pressure');
  out.sched_load_balance = num('sched_load_balance');
  out.sched_relax_domain_level = readInt(files, dir, cpusetFile(files, dir, 'sched_relax_domain_level'));
  const c = compact(out);
  if (c) s.cpuset = c;
}

function memoryEntry(files: CgroupFiles, dir: string, name: string): MemoryEntry | undefined {
  const m = name ? `memory.${name}` : 'memory';
  return compact({
    limit: readUint(files, dir, `${m}.limit_in_bytes`),
    usage: readUint(files, dir, `${m}.usage_in_bytes`),
    max: readUint(files, dir, `${m}.max_usage_in_bytes`),
    failcnt: readUint(files, dir, `${m}.failcnt`),
  });
}

function memory(files: CgroupFiles, dir: string, s: CgroupStats): void {
  const raw = readKeyValues(files, dir, 'memory.stat');
  if (raw) {
    s.memory.raw = raw;
    s.memory.cache = raw.cache ?? 0n;
  }
  s.memory.usage = memoryEntry(files, dir, '') ?? {};
  const swap = memoryEntry(files, dir, 'memsw');
  if (swap) s.memory.swap = swap;
  const kernel = memoryEntry(files, dir, 'kmem');
  if (kernel) s.memory.kernel = kernel;
  const tcp = memoryEntry(files, dir, 'kmem.tcp');
  if (tcp) s.memory.kernelTCP = tcp;
}

function pids(files: CgroupFiles, dir: string, s: CgroupStats): void {
  const current = readUint(files, dir, 'pids.current');
  if (current !== undefined) s.pids.current = current;
  const max = readUint(files, dir, 'pids.max');
  // "max" (no limit) is reported as 0.
  if (max !== undefined) s.pids.limit = max === MAX_UINT64 ? 0n : max;
}

/** blkio.* lines "8:0 Read 1282048" or "8:0 6792"; the "Total N" line is skipped. undefined: no file or empty. */
function blkioFile(files: CgroupFiles, dir: string, file: string): BlkioEntry[] | undefined {
  const t = files.tryRead(dir, file);
  if (t === undefined) return undefined;
  const out: BlkioEntry[] = [];
  for (const line of t.split('\n')) {
    if (line === '') continue;
    const f = line.split(/[ :]/).filter((x) => x !== '');
    if (f.length < 3) {
      if (f.length === 2 && f[0] === 'Total') continue;
      throw new CgroupParseError(dir, file, `malformed line: ${line}`);
    }
    const nums = [f[0]!, f[1]!, f[f.length === 4 ? 3 : 2]!].map((n) => (/^[0-9]+$/.test(n) ? BigInt(n) : -1n));
    if (!nums.every((n) => n >= 0n && n <= MAX_UINT64)) throw new CgroupParseError(dir, file, `malformed line: ${line}`);
    out.push({ major: nums[0]!, minor: nums[1]!, op: f.length === 4 ? f[2]! : '', value: nums[2]! });
  }
  return out.length > 0 ? out : undefined;
}

const BLKIO_GROUPS: [string, string][][] = [
  [
    ['blkio.bfq.sectors_recursive', 'sectorsRecursive'],
    ['blkio.bfq.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.bfq.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.bfq.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.bfq.io_queued_recursive', 'ioQueueRecursive'],
    ['blkio.bfq.time_recursive', 'ioTimeRecursive'],
    ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.sectors_recursive', 'sectorsRecursive'],
    ['blkio.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.io_queued_recursive', 'ioQueueRecursive'],
    ['blkio.time_recursive', 'ioTimeRecursive'],
    ['blkio.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.throttle.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.throttle.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.throttle.io_serviced', 'ioServicedRecursive'],
    ['blkio.throttle.io_service_bytes', 'ioServiceBytesRecursive'],
  ],
];

/**
 * runc's order of preference: the first group (BFQ debug, BFQ, CFQ, throttle recursive, throttle) whose first
 * file has entries is used; a later file of that group that is missing or empty ends the reading there.
 */
function blkio(files: CgroupFiles, dir: string, s: CgroupStats): void {
  for (const group of BLKIO_GROUPS) {
    for (let i = 0; i < group.length; i++) {
      const [file, key] = group[i]!;
      const entries = blkioFile(files, dir, file);
      if (entries === undefined) {
        if (i === 0) break;
        return;
      }
      s.blkio[key] = entries;
      if (i === group.length - 1) return;
    }
  }
}

function hugetlb(files: CgroupFiles, dir: string, s: CgroupStats): void {
  let rsvd = '.rsvd';
  const out: NonNullable<CgroupStats['hugetlb']> = {};
  for (const size of hugePageSizes(files.fileNames(dir), 'limit_in_bytes')) {
    let usage = readUint(files, dir, `hugetlb.${size}${rsvd}.usage_in_bytes`);
    if (usage === undefined && rsvd !== '') {
      rsvd = '';
      usage = readUint(files, dir, `hugetlb.${size}.usage_in_bytes`);
    }
    const prefix = `hugetlb.${size}${rsvd}`;
    const e = compact({ usage, max: readUint(files, dir, `${prefix}.max_usage_in_bytes`) }) ?? {};
    out[size] = { ...e, failcnt: readUint(files, dir, `${prefix}.failcnt`) ?? 0n };
  }
  s.hugetlb = out;
}

/** Statistics of a v1 container from its hierarchies (controller → directory). */
export function statsV1(files: CgroupFiles, paths: Record<string, string>): CgroupStats {
  const s = emptyStats();
  const at = (c: string) => (paths[c] !== undefined && files.exists(paths[c]) ? paths[c] : undefined);
  let d: string | undefined;
  if ((d = at('cpuset'))) cpuset(files, d, s);
  if ((d = at('memory'))) memory(files, d, s);
  if ((d = at('cpu'))) cpu(files, d, s);
  if ((d = at('cpuacct'))) cpuacct(files, d, s);
  if ((d = at('pids'))) pids(files, d, s);
  if ((d = at('blkio'))) blkio(files, d, s);
  if ((d = at('hugetlb'))) hugetlb(files, d, s);
  return s;
}
