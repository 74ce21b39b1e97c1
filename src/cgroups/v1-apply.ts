/**
 * linux.resources onto cgroup v1 files, controller by controller in runc's order (fs.subsystems: cpuset,
 * devices, memory, cpu, pids, blkio, hugetlb, net_cls, net_prio, rdma), with runc's file names, values and
 * write orders (libcontainer cgroups/fs/*.go).
 */
import { TsrunError } from '../errors.js';
import type { Resources } from './types.js';
import { DeviceEmulator } from './device-emulator.js';
import { deviceRuleLine, type DeviceRule } from './devices.js';
import { CgroupFiles, errCode } from './io.js';
import { CgroupParseError, parseSingleUint } from './parse.js';
import { field, ResourceWriter } from './resource-writer.js';
import { KERNEL_MEMORY_WARNING, pidsMaxValue, setHugetlb, setRdma } from './apply-common.js';

export { KERNEL_MEMORY_WARNING, pidsMaxValue, setHugetlb, setRdma };

export const V1_UNIFIED_ERROR = 'invalid configuration: cannot use unified on cgroup v1';
export interface V1ApplyOptions {
  /** The effective device rules (deviceRules()); undefined leaves the devices cgroup alone (runc update). */
  deviceRules?: DeviceRule[];
}

type Paths = Record<string, string>;

/** A cpuset file's name ("cpuset.cpus", or "cpus" on a hierarchy mounted with noprefix) and text; undefined if neither is there. */
export function readCpuset(files: CgroupFiles, dir: string, name: string): { file: string; text: string } | undefined {
  for (const file of ['cpuset.' + name, name]) {
    const text = files.tryRead(dir, file);
    if (text !== undefined) return { file, text };
  }
  return undefined;
}

/** cpuset files are "cpuset.cpus", or "cpus" on a hierarchy mounted with noprefix. */
export function cpusetFile(files: CgroupFiles, dir: string, name: string): string {
  if (files.exists(dir, 'cpuset.' + name)) return 'cpuset.' + name;
  if (files.exists(dir, name)) return name;
  return 'cpuset.' + name;
}

function setCpuset(w: ResourceWriter, dir: string | undefined, r: Resources): void {
  const cpu = r.cpu ?? {};
  if (cpu.cpus) w.set(dir, dir ? cpusetFile(w.files, dir, 'cpus') : 'cpuset.cpus', cpu.cpus, field('cpu.cpus'), { controller: 'cpuset' });
  if (cpu.mems) w.set(dir, dir ? cpusetFile(w.files, dir, 'mems') : 'cpuset.mems', cpu.mems, field('cpu.mems'), { controller: 'cpuset' });
}

function setDevices(w: ResourceWriter, dir: string | undefined, rules: DeviceRule[]): void {
  if (dir === undefined) throw new TsrunError('cgroup: subsystem does not exist');
  const list = w.files.tryRead(dir, 'devices.list');
  // A devices.list that cannot be read is taken as a new cgroup's (allow all).
  const current = DeviceEmulator.fromList(list ?? 'a *:* rwm\n');
  const target = DeviceEmulator.fromRules(rules);
  // A run of rules for the same file goes through one open of it, still one rule per write as the kernel wants.
  const steps = current.transition(target);
  for (let i = 0; i < steps.length; ) {
    const allow = steps[i]!.allow;
    const lines: string[] = [];
    for (; i < steps.length && steps[i]!.allow === allow; i++) lines.push(deviceRuleLine(steps[i]!));
    w.setEach(dir, allow ? 'devices.allow' : 'devices.deny', lines, field('devices'), { controller: 'devices' });
  }
}

function setMemory(w: ResourceWriter, dir: string | undefined, r: Resources): void {
  const m = r.memory ?? {};
  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;

  const writeLimit = (val: number) => {
    if (val === 0) return;
    try {
      w.set(dir, 'memory.limit_in_bytes', String(val), field('memory.limit'), { controller: 'memory', isDefault: val === -1 });
    } catch (err) {
      if (errCode(err) !== 'EBUSY' || dir === undefined) throw err;
      // The new limit is below the current usage.
      const usage = parseSingleUint(w.files.read(dir, 'memory.usage_in_bytes'), dir, 'memory.usage_in_bytes');
      const max = parseSingleUint(w.files.read(dir, 'memory.max_usage_in_bytes'), dir, 'memory.max_usage_in_bytes');
      throw new TsrunError(`unable to set memory limit to ${val} (current usage: ${usage}, peak usage: ${max})`);
    }
  };
  const writeSwap = (val: number) => {
    if (val === 0) return;
    w.set(dir, 'memory.memsw.limit_in_bytes', String(val), field('memory.swap'), { controller: 'memory', isDefault: val === -1 });
  };

  // An unlimited memory with no swap given means unlimited swap too (where the kernel accounts swap).
  if (limit === -1 && swap === 0 && dir !== undefined && w.files.exists(dir, 'memory.memsw.limit_in_bytes')) swap = -1;

  let done = false;
  if (limit !== 0 && swap !== 0 && dir !== undefined) {
    // Order the two writes so the kernel's memory <= memory+swap check holds at every step.
    const text = w.files.read(dir, 'memory.limit_in_bytes').trim();
    if (!/^[0-9]+$/.test(text) && text !== 'max') throw new CgroupParseError(dir, 'memory.limit_in_bytes', `invalid syntax: ${JSON.stringify(text)}`);
    const cur = text === 'max' ? 2n ** 64n - 1n : BigInt(text);
    if (swap === -1 || cur < BigInt(swap)) {
      writeSwap(swap);
      writeLimit(limit);
      done = true;
    }
  }
  if (!done) {
    writeLimit(limit);
    writeSwap(swap);
  }

  if (m.reservation) {
    w.set(dir, 'memory.soft_limit_in_bytes', String(m.reservation), field('memory.reservation'), { controller: 'memory', isDefault: m.reservation === -1 });
  }
  // kernelTCP still works on v1 (memory.kmem.tcp.*); kernel memory limits do not (see KERNEL_MEMORY_WARNING).
  if (m.kernelTCP) {
    if (dir !== undefined && w.files.exists(dir, 'memory.kmem.tcp.limit_in_bytes'))
      w.set(dir, 'memory.kmem.tcp.limit_in_bytes', String(m.kernelTCP), field('memory.kernelTCP'), { controller: 'memory' });
    else w.warn(`${field('memory.kernelTCP')}: this kernel has no memory.kmem.tcp.limit_in_bytes, ignored`);
  }
  if (m.disableOOMKiller) w.set(dir, 'memory.oom_control', '1', field('memory.disableOOMKiller'), { controller: 'memory' });
  if (m.swappiness !== undefined) {
    if (m.swappiness > 100) throw new TsrunError(`invalid memory swappiness value: ${m.swappiness} (valid range is 0-100)`);
    w.set(dir, 'memory.swappiness', String(m.swappiness), field('memory.swappiness'), { controller: 'memory' });
  }
  if (m.useHierarchy !== undefined) w.warn(`${field('memory.useHierarchy')}: ignored (runc does not set memory.use_hierarchy)`);
  if (m.checkBeforeUpdate) w.warn(`${field('memory.checkBeforeUpdate')}: only supported on cgroup v2, ignored`);
}

/** cpu.rt_period_us and cpu.rt_runtime_us, retrying the period after the runtime when the kernel refuses it first. */
export function setRtSched(w: ResourceWriter, dir: string | undefined, r: Resources): void {
  const rtPeriod = r.cpu?.realtimePeriod ?? 0;
  const rtRuntime = r.cpu?.realtimeRuntime ?? 0;
  let period = '';
  if (rtPeriod !== 0) {
    period = String(rtPeriod);
    try {
      w.set(dir, 'cpu.rt_period_us', period, field('cpu.realtimePeriod'), { controller: 'cpu' });
      period = '';
    } catch (err) {
      if (errCode(err) !== 'EINVAL' || rtRuntime === 0) throw err;
    }
  }
  if (rtRuntime !== 0) {
    w.set(dir, 'cpu.rt_runtime_us', String(rtRuntime), field('cpu.realtimeRuntime'), { controller: 'cpu' });
    if (period !== '') w.set(dir, 'cpu.rt_period_us', period, field('cpu.realtimePeriod'), { controller: 'cpu' });
  }
}

function setCpu(w: ResourceWriter, dir: string | undefined, r: Resources): void {
  const c = r.cpu ?? {};
  const shares = c.shares ?? 0;
  const quota = c.quota ?? 0;
  if (shares !== 0) {
    if (w.set(dir, 'cpu.shares', String(shares), field('cpu.shares'), { controller: 'cpu' }) && dir !== undefined) {
      // The kernel clamps out-of-range shares: read them back.
      const got = parseSingleUint(w.files.read(dir, 'cpu.shares'), dir, 'cpu.shares');
      if (shares > got) throw new TsrunError(`the maximum allowed cpu-shares is ${got}`);
      if (shares < got) throw new TsrunError(`the minimum allowed cpu-shares is ${got}`);
    }
  }
  let period = '';
  if (c.period) {
    period = String(c.period);
    try {
      w.set(dir, 'cpu.cfs_period_us', period, field('cpu.period'), { controller: 'cpu', isDefault: c.period === 100000 });
      period = '';
    } catch (err) {
      // A smaller period can be refused until the quota is written: retry after it.
      if (errCode(err) !== 'EINVAL' || quota === 0) throw err;
    }
  }
  let burst = '';
  if (c.burst !== undefined) {
    burst = String(c.burst);
    try {
      // runc ignores a kernel without cpu.cfs_burst_us.
      w.set(dir, 'cpu.cfs_burst_us', burst, field('cpu.burst'), { controller: 'cpu', isDefault: true });
      burst = '';
    } catch (err) {
      if (errCode(err) !== 'EINVAL' || quota === 0) throw err;
    }
  }
  if (quota !== 0) {
    w.set(dir, 'cpu.cfs_quota_us', String(quota), field('cpu.quota'), { controller: 'cpu', isDefault: quota === -1 });
    if (period !== '') w.set(dir, 'cpu.cfs_period_us', period, field('cpu.period'), { controller: 'cpu' });
    if (burst !== '') w.set(dir, 'cpu.cfs_burst_us', burst, field('cpu.burst'), { controller: 'cpu', isDefault: true });
  }
  if (c.idle !== undefined) w.set(dir, 'cpu.idle', String(c.idle), field('cpu.idle'), { controller: 'cpu', isDefault: c.idle === 0 });
  setRtSched(w, dir, r);
}

/** pids.max: a positive limit as is, 0 as 1 (as systemd must), a negative one as "max". */
function setPids(w: ResourceWriter, dir: string | undefined, r: Resources): void {
  const limit = r.pids?.limit;
  if (limit === undefined) return;
  const val = pidsMaxValue(limit);
  w.set(dir, 'pids.max', val, field('pids.limit'), { controller: 'pids', isDefault: val === 'max' });
}

function setBlkio(w: ResourceWriter, dir: string | undefined, r: Resources): void {
  const b = r.blockIO ?? {};
  const bfq = dir !== undefined && !w.files.exists(dir, 'blkio.weight');
  const weightFile = bfq ? 'blkio.bfq.weight' : 'blkio.weight';
  const weightDeviceFile = bfq ? 'blkio.bfq.weight_device' : 'blkio.weight_device';
  const o = { controller: 'blkio' };
  if (b.weight) w.set(dir, weightFile, String(b.weight), field('blockIO.weight'), o);
  if (b.leafWeight) w.set(dir, 'blkio.leaf_weight', String(b.leafWeight), field('blockIO.leafWeight'), o);
  for (const wd of b.weightDevice ?? []) {
    if (wd.weight) w.set(dir, weightDeviceFile, `${wd.major}:${wd.minor} ${wd.weight}`, field('blockIO.weightDevice'), o);
    if (wd.leafWeight) w.set(dir, 'blkio.leaf_weight_device', `${wd.major}:${wd.minor} ${wd.leafWeight}`, field('blockIO.weightDevice'), o);
  }
  const throttles = [
    ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
    ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
    ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
    ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
  ] as const;
  for (const [key, file] of throttles) {
    for (const td of b[key] ?? []) {
      const rate = td.rate ?? 0;
      w.set(dir, file, `${td.major}:${td.minor} ${rate}`, field(`blockIO.${key}`), { controller: 'blkio', isDefault: rate === 0 });
    }
  }
}

function setNetwork(w: ResourceWriter, paths: Paths, r: Resources): void {
  const n = r.network ?? {};
  if (n.classID) w.set(paths.net_cls, 'net_cls.classid', String(n.classID), field('network.classID'), { controller: 'net_cls' });
  for (const p of n.priorities ?? []) {
    w.set(paths.net_prio, 'net_prio.ifpriomap', `${p.name} ${p.priority}`, field('network.priorities'), { controller: 'net_prio' });
  }
}

/** Writes every field of `r` into the v1 hierarchies in `paths` (controller → directory). */
export function applyV1(w: ResourceWriter, paths: Paths, r: Resources, o: V1ApplyOptions): void {
  if (r.unified && Object.keys(r.unified).length > 0) throw new TsrunError(V1_UNIFIED_ERROR);
  // Linux 5.16+ accepts memory.kmem.limit_in_bytes writes and ignores them; runc warns and skips it too.
  if (r.memory?.kernel !== undefined) w.warn(KERNEL_MEMORY_WARNING);
  setCpuset(w, paths.cpuset, r);
  if (o.deviceRules) setDevices(w, paths.devices, o.deviceRules);
  setMemory(w, paths.memory, r);
  setCpu(w, paths.cpu, r);
  setPids(w, paths.pids, r);
  setBlkio(w, paths.blkio, r);
  setHugetlb(w, paths.hugetlb, r, '.limit_in_bytes');
  setNetwork(w, paths, r);
  setRdma(w, paths.rdma, r);
}
