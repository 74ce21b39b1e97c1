/**
 * `tsrun update`: merging new linux.resources into the container's current ones with runc's rules (update.go).
 * Fields the patch leaves out keep their values, except cpu.cpus, cpu.mems, cpu.burst, cpu.idle, pids.limit and
 * unified, which runc assigns as given (absent: unset). A CPU quota or period given alone keeps the other's old
 * value. memory.limit -1 without memory.swap sets swap 0 (which then means unlimited); cpu.idle without
 * cpu.shares sets shares 0 (unset). checkBeforeUpdate is false unless given. Devices, hugepage limits, network,
 * rdma, swappiness and disableOOMKiller cannot be updated: the old values stay (and apply() leaves devices alone
 * via CgroupManager.update).
 */
import type { BlockIO, Resources } from './types.js';

type WeightDevice = NonNullable<BlockIO['weightDevice']>[number];
type ThrottleDevice = NonNullable<BlockIO['throttleReadBpsDevice']>[number];

function upsertWeightDevice(list: WeightDevice[], wd: WeightDevice): WeightDevice[] {
  // From the end: with duplicates, the last one is the one in effect.
  for (let i = list.length - 1; i >= 0; i--) {
    const d = list[i]!;
    if (d.major !== wd.major || d.minor !== wd.minor) continue;
    const u = { ...d };
    if (wd.weight !== undefined) u.weight = wd.weight;
    if (wd.leafWeight !== undefined) u.leafWeight = wd.leafWeight;
    return list.map((x, j) => (j === i ? u : x));
  }
  return [...list, { ...wd }];
}

function upsertThrottleDevice(list: ThrottleDevice[], td: ThrottleDevice): ThrottleDevice[] {
  for (let i = list.length - 1; i >= 0; i--) {
    const d = list[i]!;
    if (d.major === td.major && d.minor === td.minor) return list.map((x, j) => (j === i ? { ...d, rate: td.rate } : x));
  }
  return [...list, { ...td }];
}

const throttleKeys = ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'] as const;

/** Drops undefined members of an object (so the result compares and serialises cleanly). */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function updateResources(old: Resources | undefined, patch: Resources): Resources {
  const o = structuredClone(old ?? {});
  const pm = { ...(patch.memory ?? {}) };
  const pc = { ...(patch.cpu ?? {}) };
  const pb = patch.blockIO ?? {};

  // runc's fix-ups of the request
  if (pm.limit === -1 && pm.swap === undefined) pm.swap = 0;
  if (pc.idle !== undefined && pc.shares === undefined) pc.shares = 0;

  // blockIO
  const b = { ...(o.blockIO ?? {}) };
  if (pb.weight !== undefined) b.weight = pb.weight;
  if (pb.leafWeight !== undefined) b.leafWeight = pb.leafWeight;
  for (const wd of pb.weightDevice ?? []) b.weightDevice = upsertWeightDevice(b.weightDevice ?? [], wd);
  for (const k of throttleKeys) for (const td of pb[k] ?? []) b[k] = upsertThrottleDevice(b[k] ?? [], td);

  // cpu
  const c = { ...(o.cpu ?? {}) };
  const p = pc.period ?? 0;
  const q = pc.quota ?? 0;
  if ((p === 0 && q === 0) || (p !== 0 && q !== 0)) {
    c.period = p || undefined;
    c.quota = q || undefined;
  } else if (p !== 0) {
    c.period = p;
  } else {
    c.quota = q;
  }
  c.burst = pc.burst;
  if (pc.shares !== undefined) c.shares = pc.shares;
  if (pc.realtimePeriod !== undefined) c.realtimePeriod = pc.realtimePeriod;
  if (pc.realtimeRuntime !== undefined) c.realtimeRuntime = pc.realtimeRuntime;
  c.cpus = pc.cpus || undefined;
  c.mems = pc.mems || undefined;
  c.idle = pc.idle;

  // memory
  const m = { ...(o.memory ?? {}) };
  if (pm.limit !== undefined) m.limit = pm.limit;
  if (pm.reservation !== undefined) m.reservation = pm.reservation;
  if (pm.swap !== undefined) m.swap = pm.swap;
  // Deprecated and ignored, but kept so apply() warns as runc update does.
  if (pm.kernel !== undefined) m.kernel = pm.kernel;
  if (pm.kernelTCP !== undefined) m.kernelTCP = pm.kernelTCP;
  m.checkBeforeUpdate = pm.checkBeforeUpdate ?? false;

  const out: Resources = { ...o, memory: clean(m), cpu: clean(c), blockIO: clean(b), pids: clean({ limit: patch.pids?.limit }) };
  if (patch.unified !== undefined) out.unified = { ...patch.unified };
  else delete out.unified;
  return out;
}
