/**
 * The cgroup statistics as runc's `events` prints them: runc's types.Stats (runc 1.1.5 types/events.go, filled by
 * events.go convertLibcontainerStats), member for member and in its order, with Go's encoding rules: a field
 * tagged omitempty is left out when it is 0, "" or an empty list; maps (memory.raw, hugetlb) have their keys
 * sorted; a section runc always prints is printed with zeros when its files are not there. Counters stay bigint
 * (util/json.ts writes them with every digit).
 */
import type { BlkioEntry, CgroupStats, MemoryEntry } from './types.js';

/** runc's Blkio members, in its order (JSON name; the reader's key is the same). */
const BLKIO_KEYS = [
  'ioServiceBytesRecursive',
  'ioServicedRecursive',
  'ioQueueRecursive',
  'ioServiceTimeRecursive',
  'ioWaitTimeRecursive',
  'ioMergedRecursive',
  'ioTimeRecursive',
  'sectorsRecursive',
] as const;

/** runc's CPUSet members after cpus and mems, in its order; all printed even when 0. */
const CPUSET_COUNTERS = [
  'mem_hardwall',
  'mem_exclusive',
  'memory_migrate',
  'memory_spread_page',
  'memory_spread_slab',
  'memory_pressure',
  'sched_load_balance',
  'sched_relax_domain_level',
] as const;

type Counter = bigint | undefined;

/** omitempty for a number: undefined (left out) when it is 0 or missing. */
const nz = (v: Counter): bigint | undefined => (v === undefined || v === 0n ? undefined : v);
/** omitempty for a list. */
const ne = <T>(v: T[] | undefined): T[] | undefined => (v === undefined || v.length === 0 ? undefined : v);
const sortedKeys = <T>(m: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]!] as [string, T]));

function memoryEntry(e: MemoryEntry | undefined) {
  return { limit: e?.limit ?? 0n, usage: nz(e?.usage), max: nz(e?.max), failcnt: e?.failcnt ?? 0n };
}

function blkioEntries(list: BlkioEntry[] | undefined) {
  return ne(list)?.map((e) => ({ major: nz(e.major), minor: nz(e.minor), op: e.op === '' ? undefined : e.op, value: nz(e.value) }));
}

export function runcStats(s: CgroupStats): Record<string, unknown> {
  const cs = s.cpuset ?? {};
  const num = (k: string) => {
    const v = cs[k];
    return typeof v === 'bigint' ? v : 0n;
  };
  const hugetlb: Record<string, unknown> = {};
  for (const [size, h] of Object.entries(s.hugetlb ?? {})) hugetlb[size] = { usage: nz(h.usage), max: nz(h.max), failcnt: h.failcnt };
  const blkio: Record<string, unknown> = {};
  for (const k of BLKIO_KEYS) blkio[k] = blkioEntries(s.blkio[k]);
  return {
    cpu: {
      usage: {
        total: nz(s.cpu.usage.total),
        percpu: ne(s.cpu.usage.percpu),
        percpu_kernel: ne(s.cpu.usage.percpu_kernel),
        percpu_user: ne(s.cpu.usage.percpu_user),
        kernel: s.cpu.usage.kernel,
        user: s.cpu.usage.user,
      },
      throttling: {
        periods: nz(s.cpu.throttling.periods),
        throttledPeriods: nz(s.cpu.throttling.throttledPeriods),
        throttledTime: nz(s.cpu.throttling.throttledTime),
      },
    },
    cpuset: {
      cpus: ne(cs.cpus),
      cpu_exclusive: num('cpu_exclusive'),
      mems: ne(cs.mems),
      ...Object.fromEntries(CPUSET_COUNTERS.map((k) => [k, num(k)])),
    },
    memory: {
      cache: nz(s.memory.cache),
      usage: memoryEntry(s.memory.usage),
      swap: memoryEntry(s.memory.swap),
      kernel: memoryEntry(s.memory.kernel),
      kernelTCP: memoryEntry(s.memory.kernelTCP),
      raw: s.memory.raw && Object.keys(s.memory.raw).length > 0 ? sortedKeys(s.memory.raw) : undefined,
    },
    pids: { current: nz(s.pids.current), limit: nz(s.pids.limit) },
    blkio,
    hugetlb: sortedKeys(hugetlb),
    // tsrun makes no resctrl group (linux.intelRdt is not applied): runc prints {} for a container without one.
    intel_rdt: {},
    // runc reports the veth interfaces of its own network strategies only; tsrun configures none.
    network_interfaces: null,
  };
}
