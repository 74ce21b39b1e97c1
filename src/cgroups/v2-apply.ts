/**
 * linux.resources onto a cgroup v2 directory in runc's order (fs2.Manager.Set: pids, memory, io, cpu, cpuset,
 * hugetlb, rdma, unified), with runc's conversions (cpu.weight from shares, memory.swap.max from memory+swap,
 * io.weight from the blkio weight). The device rules are not written here: v2 needs an eBPF program, which the
 * caller loads (devicefilter.ts).
 */
import { TsrunError } from '../errors.js';
import type { Resources } from './types.js';
import { blkioWeightToIoWeight, cpuSharesToWeight, memorySwapToV2 } from './convert.js';
import { errCode } from './io.js';
import { quote } from './parse.js';
import { field, ResourceWriter } from './resource-writer.js';
import { KERNEL_MEMORY_WARNING, pidsMaxValue, setHugetlb, setRdma } from './apply-common.js';

/** A v2 limit file value: 0 is "leave alone" (""), -1 is "max". */
export function numToStr(v: number): string {
  if (v === 0) return '';
  if (v === -1) return 'max';
  return String(v);
}

function setPids(w: ResourceWriter, dir: string, r: Resources): void {
  const limit = r.pids?.limit;
  if (limit === undefined) return;
  const val = pidsMaxValue(limit);
  w.set(dir, 'pids.max', val, field('pids.limit'), { controller: 'pids', isDefault: val === 'max' });
}

function setMemory(w: ResourceWriter, dir: string, r: Resources): void {
  const m = r.memory ?? {};
  if (m.swappiness !== undefined) w.warn(`${field('memory.swappiness')}: not supported on cgroup v2, ignored`);
  if (m.disableOOMKiller) w.warn(`${field('memory.disableOOMKiller')}: not supported on cgroup v2, ignored`);
  const limit = m.limit ?? 0;
  const swap = m.swap ?? 0;
  const reservation = m.reservation ?? 0;
  if (limit === 0 && swap === 0 && reservation === 0) return;

  if (m.checkBeforeUpdate && (limit > 0 || swap > 0)) {
    // Best effort: no usage to compare with is no refusal.
    const text = w.files.tryRead(dir, 'memory.current');
    const usage = text === undefined ? undefined : Number(text.trim());
    if (usage !== undefined && Number.isFinite(usage)) {
      if (swap > 0 && swap <= usage) throw new TsrunError(`rejecting memory+swap limit ${swap} <= usage ${usage}`);
      if (limit > 0 && limit <= usage) throw new TsrunError(`rejecting memory limit ${limit} <= usage ${usage}`);
    }
  }

  const swapV2 = memorySwapToV2(swap, limit);
  let swapStr = numToStr(swapV2);
  // memory and memory+swap equal: no swap at all.
  if (swapStr === '' && swapV2 === 0 && swap > 0) swapStr = '0';
  if (swapStr === 'max' || swapStr === '0') {
    // Without swap accounting, "no swap" and "unlimited swap" are what the kernel does anyway: runc says nothing.
    try {
      w.files.write(dir, 'memory.swap.max', swapStr);
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err;
    }
  } else if (swapStr !== '') {
    w.set(dir, 'memory.swap.max', swapStr, field('memory.swap'), { controller: 'memory' });
  }
  const max = numToStr(limit);
  if (max !== '') w.set(dir, 'memory.max', max, field('memory.limit'), { controller: 'memory', isDefault: max === 'max' });
  const low = numToStr(reservation);
  if (low !== '') w.set(dir, 'memory.low', low, field('memory.reservation'), { controller: 'memory' });
}

function setIo(w: ResourceWriter, dir: string, r: Resources): void {
  const b = r.blockIO ?? {};
  if (b.leafWeight || (b.weightDevice ?? []).some((d) => d.leafWeight)) {
    w.warn(`${field('blockIO.leafWeight')}: not supported on cgroup v2, ignored`);
  }
  const weight = b.weight ?? 0;
  const weightDevice = b.weightDevice ?? [];
  const throttles = [
    ['throttleReadBpsDevice', 'rbps'],
    ['throttleWriteBpsDevice', 'wbps'],
    ['throttleReadIOPSDevice', 'riops'],
    ['throttleWriteIOPSDevice', 'wiops'],
  ] as const;
  const anyThrottle = throttles.some(([k]) => (b[k] ?? []).length > 0);
  if (weight === 0 && weightDevice.length === 0 && !anyThrottle) return;

  // The BFQ scheduler's io.bfq.weight takes the blkio weight as is, and per-device weights since Linux 5.4
  // (recognised by its "default N" format instead of a single number).
  let bfq: string | undefined;
  if (weight !== 0 || weightDevice.length > 0) bfq = w.files.tryRead(dir, 'io.bfq.weight');
  const bfqPerDevice = bfq !== undefined && !/^[+-]?[0-9]+$/.test(bfq.trim());
  if (weight !== 0) {
    if (bfq !== undefined) w.set(dir, 'io.bfq.weight', String(weight), field('blockIO.weight'), { controller: 'io' });
    else w.set(dir, 'io.weight', String(blkioWeightToIoWeight(weight)), field('blockIO.weight'), { controller: 'io' });
  }
  if (bfqPerDevice) {
    for (const wd of weightDevice) {
      const s = `${wd.major}:${wd.minor} ${wd.weight ?? 0}`;
      try {
        w.files.write(dir, 'io.bfq.weight', s + '\n');
      } catch (err) {
        throw new TsrunError(`setting device weight ${quote(s)}: ${(err as Error).message}`);
      }
    }
  } else if (weightDevice.some((d) => d.weight)) {
    w.warn(`${field('blockIO.weightDevice')}: needs the BFQ I/O scheduler with per-device weights, ignored`);
  }
  for (const [key, name] of throttles) {
    for (const td of b[key] ?? []) {
      w.set(dir, 'io.max', `${td.major}:${td.minor} ${name}=${td.rate ?? 0}`, field(`blockIO.${key}`), { controller: 'io' });
    }
  }
}

function setCpu(w: ResourceWriter, dir: string, r: Resources): void {
  const c = r.cpu ?? {};
  if (c.realtimeRuntime || c.realtimePeriod) w.warn(`${field('cpu.realtimeRuntime')}: not supported on cgroup v2, ignored`);
  const weight = cpuSharesToWeight(c.shares ?? 0);
  const quota = c.quota ?? 0;
  const period = c.period ?? 0;
  if (weight === 0 && quota === 0 && period === 0 && c.idle === undefined && c.burst === undefined) return;
  if (c.idle !== undefined) w.set(dir, 'cpu.idle', String(c.idle), field('cpu.idle'), { controller: 'cpu', isDefault: c.idle === 0 });
  if (weight !== 0) w.set(dir, 'cpu.weight', String(weight), field('cpu.shares'), { controller: 'cpu', isDefault: weight === 100 });
  let burst = '';
  if (c.burst !== undefined) {
    burst = String(c.burst);
    try {
      w.set(dir, 'cpu.max.burst', burst, field('cpu.burst'), { controller: 'cpu', isDefault: c.burst === 0 });
      burst = '';
    } catch (err) {
      // A larger burst can be refused until the quota is written: retry after it.
      if (errCode(err) !== 'EINVAL' || quota === 0) throw err;
    }
  }
  if (quota !== 0 || period !== 0) {
    const max = `${quota > 0 ? quota : 'max'} ${period || 100000}`;
    w.set(dir, 'cpu.max', max, field('cpu.quota'), { controller: 'cpu', isDefault: max === 'max 100000' });
    if (burst !== '') w.set(dir, 'cpu.max.burst', burst, field('cpu.burst'), { controller: 'cpu' });
  }
}

function setCpuset(w: ResourceWriter, dir: string, r: Resources): void {
  if (r.cpu?.cpus) w.set(dir, 'cpuset.cpus', r.cpu.cpus, field('cpu.cpus'), { controller: 'cpuset' });
  if (r.cpu?.mems) w.set(dir, 'cpuset.mems', r.cpu.mems, field('cpu.mems'), { controller: 'cpuset' });
}

function setUnified(w: ResourceWriter, dir: string, unified: Record<string, string>, controllers: Set<string>): void {
  for (const [k, v] of Object.entries(unified)) {
    if (k.includes('/')) throw new TsrunError(`unified resource ${quote(k)} must be a file name (no slashes)`);
    try {
      w.files.writeByLine(dir, k, v);
    } catch (err) {
      const code = errCode(err);
      if (code === 'EPERM' || code === 'EACCES' || code === 'ENOENT') {
        const dot = k.indexOf('.');
        if (dot < 0) throw new TsrunError(`unified resource ${quote(k)} must be in the form CONTROLLER.PARAMETER`);
        const c = k.slice(0, dot);
        if (!controllers.has(c) && c !== 'cgroup') throw new TsrunError(`unified resource ${quote(k)} can't be set: controller ${quote(c)} not available`);
      }
      throw new TsrunError(`unable to set unified resource ${quote(k)}: ${(err as Error).message}`);
    }
  }
}

/** Writes every field of `r` into the v2 directory `dir`. */
export function applyV2(w: ResourceWriter, dir: string, r: Resources): void {
  const controllers = new Set(w.files.read(dir, 'cgroup.controllers').split(/\s+/).filter(Boolean));
  // cgroup v2 has no kernel or TCP memory limits of their own: both are part of memory.max.
  if (r.memory?.kernel !== undefined || r.memory?.kernelTCP !== undefined) w.warn(KERNEL_MEMORY_WARNING);
  if (r.memory?.useHierarchy === false) w.warn(`${field('memory.useHierarchy')}: cgroup v2 is always hierarchical, ignored`);
  if (r.network?.classID || (r.network?.priorities ?? []).length > 0) w.warn(`${field('network')}: not supported on cgroup v2, ignored`);
  setPids(w, dir, r);
  setMemory(w, dir, r);
  setIo(w, dir, r);
  setCpu(w, dir, r);
  setCpuset(w, dir, r);
  setHugetlb(w, dir, r, '.max');
  setRdma(w, dir, r);
  if (r.unified) setUnified(w, dir, r.unified, controllers);
}
