import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCgroupManager } from '../../src/cgroups/index.js';
import { ownCgroups } from '../../src/cgroups/layout.js';
import { resolveCgroupPaths } from '../../src/cgroups/paths.js';
import type { CgroupManager, CgroupPaths } from '../../src/cgroups/types.js';
import { CgroupV1Manager } from '../../src/cgroups/v1.js';
import type { LinuxResources } from '../../src/spec/schema.js';
import { cleanup, readRel, writeTree } from './fake-cgroupfs.js';
import { v1Host, type V1Host } from './v1-tree.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) cleanup(r);
});

const own = ownCgroups('1:name=systemd:/\n0::/\n');
for (const c of ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb', 'net_cls', 'net_prio', 'rdma']) own.set(c, '/');

function setup(o: Parameters<typeof v1Host>[0] & { cgroupsPath?: string; resources?: LinuxResources } = {}): V1Host & { paths: CgroupPaths; m: CgroupManager } {
  const h = v1Host(o);
  roots.push(h.root);
  const paths = resolveCgroupPaths(h.layout, o.cgroupsPath ?? '/ctr', 'id', own, h.root);
  const m = openCgroupManager({ layout: h.layout, paths, root: h.root, io: h.io, resources: o.resources, freezerTiming: { v1ThawSleepMs: 0 } });
  return { ...h, paths, m };
}

const C = '/sys/fs/cgroup';

describe('CgroupV1Manager.create', () => {
  it('creates the directory in every hierarchy, the named one and the hybrid unified one', () => {
    const { m, io } = setup();
    expect(m).toBeInstanceOf(CgroupV1Manager);
    m.create();
    expect(io.mkdirs).toEqual([
      `${C}/cpuset/ctr`,
      `${C}/devices/ctr`,
      `${C}/memory/ctr`,
      `${C}/cpu/ctr`,
      `${C}/cpuacct/ctr`,
      `${C}/pids/ctr`,
      `${C}/blkio/ctr`,
      `${C}/hugetlb/ctr`,
      `${C}/net_cls,net_prio/ctr`,
      `${C}/freezer/ctr`,
      `${C}/rdma/ctr`,
      `${C}/systemd/ctr`,
      `${C}/unified/ctr`,
    ]);
  });

  it("copies cpuset.cpus and cpuset.mems down from the hierarchy's root into every new directory", () => {
    const { m, root } = setup({ cgroupsPath: '/a/b/ctr' });
    m.create();
    for (const d of ['a', 'a/b', 'a/b/ctr']) {
      expect(readRel(root, `${C}/cpuset/${d}/cpuset.cpus`), d).toBe('0-3\n');
      expect(readRel(root, `${C}/cpuset/${d}/cpuset.mems`), d).toBe('0\n');
    }
  });

  it('writes the given cpuset and realtime settings before any process joins', () => {
    const { m, io } = setup({ resources: { cpu: { cpus: '1', realtimeRuntime: 950000, realtimePeriod: 1000000 } } });
    m.create();
    expect(io.writes.filter((w) => /cpuset\.(cpus|mems)|rt_/.test(w.file))).toEqual([
      { file: `${C}/cpuset/ctr/cpuset.cpus`, data: '1' },
      { file: `${C}/cpuset/ctr/cpuset.mems`, data: '0\n' },
      { file: `${C}/cpu/ctr/cpu.rt_period_us`, data: '1000000' },
      { file: `${C}/cpu/ctr/cpu.rt_runtime_us`, data: '950000' },
    ]);
  });

  it('refuses an existing cgroup with processes (in it or below) or frozen', () => {
    const a = setup();
    writeTree(a.root, { [`${C}/devices/ctr/sub/cgroup.procs`]: '41\n42\n', [`${C}/devices/ctr/cgroup.procs`]: '' });
    expect(() => a.m.create()).toThrow("container's cgroup is not empty: 2 process(es) found");

    const b = setup();
    writeTree(b.root, { [`${C}/freezer/ctr/freezer.state`]: 'FROZEN\n', [`${C}/freezer/ctr/freezer.self_freezing`]: '1\n' });
    expect(() => b.m.create()).toThrow("container's cgroup unexpectedly frozen");

    const c = setup();
    writeTree(c.root, { [`${C}/freezer/ctr/freezer.state`]: 'FROZEN\n', [`${C}/freezer/ctr/freezer.self_freezing`]: '0\n', [`${C}/devices/ctr/cgroup.procs`]: '' });
    expect(() => c.m.create()).not.toThrow();
  });
});

const FULL: LinuxResources = {
  devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }],
  memory: { limit: 536870912, reservation: 268435456, swap: 1073741824, swappiness: 10, disableOOMKiller: true, kernel: 1, kernelTCP: 2 },
  cpu: { shares: 512, quota: 50000, period: 100000, burst: 1000, realtimeRuntime: 950000, realtimePeriod: 1000000, cpus: '0-1', mems: '0', idle: 0 },
  pids: { limit: 100 },
  blockIO: {
    weight: 300,
    leafWeight: 200,
    weightDevice: [{ major: 8, minor: 0, weight: 400, leafWeight: 100 }, { major: 8, minor: 16, leafWeight: 50 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
  },
  hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }, { pageSize: '1GB', limit: 0 }],
  network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 5 }, { name: 'lo', priority: 1 }] },
  rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 7 } },
};

describe('CgroupV1Manager.apply', () => {
  it("writes every field with runc's files, values and order", () => {
    const { m, io, root } = setup();
    m.create();
    // A kernel that still has TCP memory limits on v1.
    writeFileSync(join(root, C, 'memory/ctr/memory.kmem.tcp.limit_in_bytes'), '9223372036854771712\n');
    io.writes.length = 0;
    const warnings = m.apply(FULL);
    const W = (h: string, f: string, data: string) => ({ file: `${C}/${h}/ctr/${f}`, data });
    expect(io.writes).toEqual([
      W('cpuset', 'cpuset.cpus', '0-1'),
      W('cpuset', 'cpuset.mems', '0'),
      W('devices', 'devices.deny', 'a *:* rwm'),
      // The spec's rules first, in config order, then runc's AllowedDevices in theirs.
      ...['c 10:229 rw', 'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm'].map((l) =>
        W('devices', 'devices.allow', l),
      ),
      W('memory', 'memory.limit_in_bytes', '536870912'),
      W('memory', 'memory.memsw.limit_in_bytes', '1073741824'),
      W('memory', 'memory.soft_limit_in_bytes', '268435456'),
      W('memory', 'memory.kmem.tcp.limit_in_bytes', '2'),
      W('memory', 'memory.oom_control', '1'),
      W('memory', 'memory.swappiness', '10'),
      W('cpu', 'cpu.shares', '512'),
      W('cpu', 'cpu.cfs_period_us', '100000'),
      W('cpu', 'cpu.cfs_burst_us', '1000'),
      W('cpu', 'cpu.cfs_quota_us', '50000'),
      W('cpu', 'cpu.idle', '0'),
      W('cpu', 'cpu.rt_period_us', '1000000'),
      W('cpu', 'cpu.rt_runtime_us', '950000'),
      W('pids', 'pids.max', '100'),
      W('blkio', 'blkio.weight', '300'),
      W('blkio', 'blkio.leaf_weight', '200'),
      W('blkio', 'blkio.weight_device', '8:0 400'),
      W('blkio', 'blkio.leaf_weight_device', '8:0 100'),
      W('blkio', 'blkio.leaf_weight_device', '8:16 50'),
      W('blkio', 'blkio.throttle.read_bps_device', '8:0 1048576'),
      W('blkio', 'blkio.throttle.write_bps_device', '8:0 2097152'),
      W('blkio', 'blkio.throttle.read_iops_device', '8:0 100'),
      W('blkio', 'blkio.throttle.write_iops_device', '8:0 200'),
      W('hugetlb', 'hugetlb.2MB.limit_in_bytes', '4194304'),
      W('hugetlb', 'hugetlb.2MB.rsvd.limit_in_bytes', '4194304'),
      W('hugetlb', 'hugetlb.1GB.limit_in_bytes', '0'),
      W('hugetlb', 'hugetlb.1GB.rsvd.limit_in_bytes', '0'),
      W('net_cls,net_prio', 'net_cls.classid', '1048577'),
      W('net_cls,net_prio', 'net_prio.ifpriomap', 'eth0 5'),
      W('net_cls,net_prio', 'net_prio.ifpriomap', 'lo 1'),
      W('rdma', 'rdma.max', 'mlx5_1 hca_handle=3 hca_object=10000'),
      W('rdma', 'rdma.max', 'mlx4_0 hca_object=7'),
    ]);
    expect(warnings).toEqual(['Kernel memory settings are ignored and will be removed']);
  });

  it('writes the swap limit first when the current memory limit is below it, and -1 to both for unlimited', () => {
    const { m, io, root } = setup();
    m.create();
    writeTree(root, { [`${C}/memory/ctr/memory.limit_in_bytes`]: '104857600\n' });
    io.writes.length = 0;
    m.apply({ memory: { limit: 209715200, swap: 419430400 } });
    expect(io.writes.map((w) => `${w.file.split('/').pop()}=${w.data}`).filter((s) => s.startsWith('memory'))).toEqual([
      'memory.memsw.limit_in_bytes=419430400',
      'memory.limit_in_bytes=209715200',
    ]);
    io.writes.length = 0;
    m.apply({ memory: { limit: -1 } });
    expect(io.writesTo('memory.memsw.limit_in_bytes')).toEqual(['-1']);
    expect(io.writesTo('memory.limit_in_bytes')).toEqual(['-1']);
  });

  it('explains a memory limit below the usage (EBUSY)', () => {
    const { m, io, root } = setup();
    m.create();
    writeTree(root, { [`${C}/memory/ctr/memory.usage_in_bytes`]: '5000\n', [`${C}/memory/ctr/memory.max_usage_in_bytes`]: '6000\n' });
    io.failWrite(`${C}/memory/ctr/memory.limit_in_bytes`, 'EBUSY');
    expect(() => m.apply({ memory: { limit: 4096 } })).toThrow('unable to set memory limit to 4096 (current usage: 5000, peak usage: 6000)');
  });

  it('retries the CFS period after the quota when the kernel refuses it first (EINVAL)', () => {
    const { m, io } = setup();
    m.create();
    io.failWrite(`${C}/cpu/ctr/cpu.cfs_period_us`, 'EINVAL');
    io.writes.length = 0;
    m.apply({ cpu: { quota: 20000, period: 50000 } });
    expect(io.writes.map((w) => `${w.file.split('/').pop()}=${w.data}`)).toContain('cpu.cfs_quota_us=20000');
    expect(io.writesTo('cpu.cfs_period_us')).toEqual(['50000']);
    const order = io.writes.map((w) => w.file.split('/').pop());
    expect(order.indexOf('cpu.cfs_quota_us')).toBeLessThan(order.indexOf('cpu.cfs_period_us'));
    io.failWrite(`${C}/cpu/ctr/cpu.cfs_period_us`, 'EINVAL');
    expect(() => m.apply({ cpu: { period: 50000 } })).toThrow('failed to write "50000": write');
  });

  it('reports cpu shares the kernel clamped', () => {
    const { m, io } = setup();
    m.create();
    io.onWrite = (rel, data) => (rel.endsWith('cpu.shares') ? String(Math.min(Math.max(Number(data), 2), 262144)) : undefined);
    expect(() => m.apply({ cpu: { shares: 1 } })).toThrow('the minimum allowed cpu-shares is 2');
    expect(() => m.apply({ cpu: { shares: 300000 } })).toThrow('the maximum allowed cpu-shares is 262144');
  });

  it('warns for a default value the host has no file for, and fails for a value asked for', () => {
    const { m, root } = setup({ without: ['hugetlb', 'pids'] });
    m.create();
    cleanup(join(root, `${C}/cpu/ctr/cpu.cfs_burst_us`));
    cleanup(join(root, `${C}/cpu/ctr/cpu.idle`));
    expect(m.apply({ pids: { limit: -1 }, cpu: { burst: 0, idle: 0 }, memory: { useHierarchy: true } })).toEqual([
      'linux.resources.memory.useHierarchy: ignored (runc does not set memory.use_hierarchy)',
      `linux.resources.cpu.burst: ${root}${C}/cpu/ctr/cpu.cfs_burst_us does not exist on this host, ignored`,
      `linux.resources.cpu.idle: ${root}${C}/cpu/ctr/cpu.idle does not exist on this host, ignored`,
      'linux.resources.pids.limit: no pids cgroup on this host, ignored',
    ]);
    expect(() => m.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] })).toThrow(
      'linux.resources.hugepageLimits: cannot set hugetlb limit: container could not join or create cgroup',
    );
    expect(() => m.apply({ pids: { limit: 10 } })).toThrow('linux.resources.pids.limit: cannot set pids limit');
    expect(() => m.apply({ cpu: { idle: 1 } })).toThrow(`linux.resources.cpu.idle: open ${root}${C}/cpu/ctr/cpu.idle: no such file or directory`);
  });

  it('skips the hugetlb reservation files on kernels without them', () => {
    const { m, io, root } = setup();
    m.create();
    cleanup(join(root, `${C}/hugetlb/ctr/hugetlb.2MB.rsvd.limit_in_bytes`));
    io.writes.length = 0;
    m.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 10 }, { pageSize: '1GB', limit: 20 }] });
    expect(io.writes.map((w) => w.file.split('/').pop()).filter((f) => f!.startsWith('hugetlb'))).toEqual(['hugetlb.2MB.limit_in_bytes', 'hugetlb.1GB.limit_in_bytes']);
  });

  it('uses the BFQ weight files where blkio.weight is missing', () => {
    const { m, io, root } = setup();
    m.create();
    cleanup(join(root, `${C}/blkio/ctr/blkio.weight`));
    writeTree(root, { [`${C}/blkio/ctr/blkio.bfq.weight`]: '100\n', [`${C}/blkio/ctr/blkio.bfq.weight_device`]: '' });
    io.writes.length = 0;
    m.apply({ blockIO: { weight: 700, weightDevice: [{ major: 8, minor: 0, weight: 10 }] } });
    expect(io.writes.map((w) => `${w.file.split('/').pop()}=${w.data}`).filter((s) => s.startsWith('blkio'))).toEqual([
      'blkio.bfq.weight=700',
      'blkio.bfq.weight_device=8:0 10',
    ]);
  });

  it('refuses unified resources on cgroup v1', () => {
    const { m } = setup();
    m.create();
    expect(() => m.apply({ unified: { 'memory.high': '1' } })).toThrow('invalid configuration: cannot use unified on cgroup v1');
    expect(() => m.apply({ unified: {} })).not.toThrow();
  });

  it('leaves the devices cgroup alone on update', () => {
    const { m, io } = setup();
    m.create();
    io.writes.length = 0;
    m.update({ devices: [{ allow: true, access: 'rwm' }], pids: { limit: 5 } });
    expect(io.writes.map((w) => w.file.split('/').pop())).toEqual(['pids.max']);
  });

  it('only writes the device rules that change an existing white-list', () => {
    const { m, io, root } = setup();
    m.create();
    m.apply({ devices: [{ allow: false, access: 'rwm' }] });
    // What the kernel's devices.list would now show.
    writeTree(root, {
      [`${C}/devices/ctr/devices.list`]: 'c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 5:2 rwm\nc 10:200 rwm\nc 136:* rwm\n',
    });
    io.writes.length = 0;
    m.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 7, minor: 0, access: 'r' }] });
    expect(io.writes).toEqual([{ file: `${C}/devices/ctr/devices.allow`, data: 'b 7:0 r' }]);
  });
});

describe('CgroupV1Manager processes', () => {
  it('join (systemd driver): makes missing directories in every hierarchy and joins, even when already busy', () => {
    const { m, io, root } = setup();
    m.join(1234);
    expect(io.writesTo('memory/ctr/cgroup.procs')).toEqual(['1234']);
    expect(io.writesTo('devices/ctr/cgroup.procs')).toEqual(['1234']);
    writeTree(root, { [`${C}/devices/ctr/cgroup.procs`]: '1234\n' });
    expect(() => m.create()).toThrow(/not empty/);
    expect(() => m.join(1234)).not.toThrow();
    expect(io.writesTo('memory/ctr/cgroup.procs')).toEqual(['1234', '1234']);
  });

  it('adds a process to every hierarchy (a named one failing is ignored) and lists them recursively', () => {
    const { m, io, root } = setup();
    m.create();
    io.writes.length = 0;
    io.failWrite(`${C}/systemd/ctr/cgroup.procs`, 'EACCES');
    m.addProcess(1234);
    expect(io.writes.map((w) => w.file)).toEqual(
      ['cpuset', 'devices', 'memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'hugetlb', 'net_cls,net_prio', 'freezer', 'rdma', 'unified'].map((h) => `${C}/${h}/ctr/cgroup.procs`),
    );
    expect(io.writes.every((w) => w.data === '1234')).toBe(true);
    io.failWrite(`${C}/memory/ctr/cgroup.procs`, 'EACCES');
    expect(() => m.addProcess(1)).toThrow(`failed to write 1: open ${root}${C}/memory/ctr/cgroup.procs: permission denied`);

    writeTree(root, { [`${C}/devices/ctr/cgroup.procs`]: '10\n11\n', [`${C}/devices/ctr/sub/cgroup.procs`]: '12\n' });
    expect(m.pids()).toEqual([10, 11, 12]);
  });

  it('retries a pid the kernel is still creating (EINVAL)', () => {
    const { m, io } = setup({ without: [] });
    m.create();
    io.failWrite(`${C}/cpu/ctr/cgroup.procs`, 'EINVAL');
    expect(() => m.addProcess(77)).not.toThrow();
    expect(io.writesTo('cpu/ctr/cgroup.procs')).toEqual(['77']);
  });

  it('freezes until freezer.state reads FROZEN, thaws, and tells its own state from an ancestor', () => {
    const { m, io, root } = setup();
    m.create();
    let freezing = 2;
    io.onWrite = (rel, data) => (rel.endsWith('freezer.state') && data === 'FROZEN' && freezing-- > 0 ? 'FREEZING\n' : undefined);
    io.writes.length = 0;
    m.freeze();
    expect(io.writesTo('freezer.state')).toEqual(['FROZEN', 'FROZEN', 'FROZEN']);
    writeTree(root, { [`${C}/freezer/ctr/freezer.self_freezing`]: '1\n' });
    expect(m.isFrozen()).toBe(true);
    writeTree(root, { [`${C}/freezer/ctr/freezer.self_freezing`]: '0\n' });
    expect(m.isFrozen()).toBe(false);
    m.thaw();
    expect(readRel(root, `${C}/freezer/ctr/freezer.state`)).toBe('THAWED');
    expect(m.isFrozen()).toBe(false);
  });

  it('gives up freezing after its bounded tries and thaws back', () => {
    const h = v1Host();
    roots.push(h.root);
    const paths = resolveCgroupPaths(h.layout, '/ctr', 'id', own, h.root);
    const m = openCgroupManager({ layout: h.layout, paths, root: h.root, io: h.io, freezerTiming: { v1FreezeTries: 5, v1ThawEvery: 3, v1ThawSleepMs: 0 } });
    m.create();
    h.io.onWrite = (rel, data) => (rel.endsWith('freezer.state') && data === 'FROZEN' ? 'FREEZING\n' : undefined);
    h.io.writes.length = 0;
    expect(() => m.freeze()).toThrow('unable to freeze');
    expect(h.io.writesTo('freezer.state')).toEqual(['FROZEN', 'FROZEN', 'THAWED', 'FROZEN', 'FROZEN', 'FROZEN', 'THAWED']);
  });

  it('has no freezer to toggle without the hierarchy', () => {
    const { m } = setup({ without: ['freezer'] });
    m.create();
    expect(() => m.freeze()).toThrow('cannot toggle freezer: cgroups not configured for container');
    expect(m.isFrozen()).toBe(false);
  });

  it('kills through the unified cgroup.kill on a hybrid host', () => {
    const { m, io } = setup();
    m.create();
    io.writes.length = 0;
    m.killAll();
    expect(io.writes).toEqual([{ file: `${C}/unified/ctr/cgroup.kill`, data: '1' }]);
  });

  it('freezes, SIGKILLs every process and thaws without cgroup.kill', async () => {
    const { m, io, root } = setup({ unified: false });
    m.create();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
    writeTree(root, { [`${C}/devices/ctr/cgroup.procs`]: `${child.pid}\n999999999\n` });
    io.writes.length = 0;
    m.killAll();
    expect(await exited).toBe('SIGKILL');
    expect(io.writesTo('freezer.state')).toEqual(['FROZEN', 'THAWED']);
  });

  it('removes every directory, sub-cgroups first, retrying EBUSY; a missing one is fine', () => {
    const { m, io, root } = setup({ cgroupsPath: '/ctr' });
    m.create();
    io.mkdir(join(root, `${C}/memory/ctr/sub`));
    io.failRmdir(`${C}/pids/ctr`, 'EBUSY', 'EBUSY', 'EBUSY');
    cleanup(join(root, `${C}/blkio/ctr`));
    m.destroy();
    for (const h of ['cpu', 'memory', 'devices', 'pids', 'systemd', 'unified']) expect(existsSync(join(root, `${C}/${h}/ctr`)), h).toBe(false);
    expect(io.rmdirs.indexOf(`${C}/memory/ctr/sub`)).toBeLessThan(io.rmdirs.indexOf(`${C}/memory/ctr`));
    expect(() => m.destroy()).not.toThrow();
  });

  it('reports the directories it could not remove', () => {
    const { m, io, root } = setup();
    m.create();
    io.failRmdir(`${C}/pids/ctr`, ...Array(20).fill('EBUSY'));
    expect(() => m.destroy()).toThrow(`Failed to remove paths: map[pids:${root}${C}/pids/ctr]`);
    expect(existsSync(join(root, `${C}/memory/ctr`))).toBe(false);
  });
});

describe('CgroupV1Manager.stats', () => {
  it('reads cpuacct, cpu, cpuset, memory, pids, blkio and hugetlb files', () => {
    const { m, root } = setup();
    m.create();
    const d = (h: string, f: string) => `${C}/${h}/ctr/${f}`;
    writeTree(root, {
      [d('cpuacct', 'cpuacct.usage')]: '123456789\n',
      [d('cpuacct', 'cpuacct.stat')]: 'user 250\nsystem 75\n',
      [d('cpuacct', 'cpuacct.usage_percpu')]: '100000000 23456789 \n',
      [d('cpuacct', 'cpuacct.usage_all')]: 'cpu user system\n0 90000000 10000000\n1 20000000 3456789\n',
      [d('cpu', 'cpu.stat')]: 'nr_periods 10\nnr_throttled 3\nthrottled_time 4500000\n',
      [d('cpuset', 'cpuset.cpus')]: '0-2,5\n',
      [d('cpuset', 'cpuset.mems')]: '0\n',
      [d('memory', 'memory.stat')]: 'cache 4096\nrss 8192\nswap 0\ntotal_cache 4096\n',
      [d('memory', 'memory.usage_in_bytes')]: '12288\n',
      [d('memory', 'memory.max_usage_in_bytes')]: '20480\n',
      [d('memory', 'memory.failcnt')]: '2\n',
      [d('memory', 'memory.limit_in_bytes')]: '536870912\n',
      [d('memory', 'memory.memsw.usage_in_bytes')]: '12288\n',
      [d('memory', 'memory.memsw.max_usage_in_bytes')]: '20480\n',
      [d('memory', 'memory.memsw.failcnt')]: '0\n',
      [d('memory', 'memory.kmem.usage_in_bytes')]: '1024\n',
      [d('memory', 'memory.kmem.max_usage_in_bytes')]: '2048\n',
      [d('memory', 'memory.kmem.failcnt')]: '0\n',
      [d('pids', 'pids.current')]: '3\n',
      [d('pids', 'pids.max')]: 'max\n',
      [d('blkio', 'blkio.throttle.io_serviced_recursive')]: '8:0 Read 124\n8:0 Write 104\n8:0 Sync 104\n8:0 Async 124\n8:0 Total 228\nTotal 228\n',
      [d('blkio', 'blkio.throttle.io_service_bytes_recursive')]: '8:0 Read 1282048\n8:0 Write 2195456\nTotal 3477504\n',
      [d('hugetlb', 'hugetlb.2MB.rsvd.usage_in_bytes')]: '2097152\n',
      [d('hugetlb', 'hugetlb.2MB.rsvd.max_usage_in_bytes')]: '4194304\n',
      [d('hugetlb', 'hugetlb.2MB.rsvd.failcnt')]: '1\n',
    });
    cleanup(join(root, d('memory', 'memory.memsw.limit_in_bytes')));
    const s = m.stats();
    expect(s.cpu).toEqual({
      usage: {
        total: 123456789n,
        percpu: [100000000n, 23456789n],
        percpu_kernel: [10000000n, 3456789n],
        percpu_user: [90000000n, 20000000n],
        kernel: 750000000n,
        user: 2500000000n,
      },
      throttling: { periods: 10n, throttledPeriods: 3n, throttledTime: 4500000n },
    });
    expect(s.cpuset).toEqual({ cpus: [0, 1, 2, 5], mems: [0], cpu_exclusive: 0n });
    expect(s.memory).toEqual({
      cache: 4096n,
      raw: { cache: 4096n, rss: 8192n, swap: 0n, total_cache: 4096n },
      usage: { limit: 536870912n, usage: 12288n, max: 20480n, failcnt: 2n },
      swap: { usage: 12288n, max: 20480n, failcnt: 0n },
      kernel: { usage: 1024n, max: 2048n, failcnt: 0n },
    });
    expect(s.pids).toEqual({ current: 3n, limit: 0n });
    expect(s.blkio).toEqual({
      ioServicedRecursive: [
        { major: 8n, minor: 0n, op: 'Read', value: 124n },
        { major: 8n, minor: 0n, op: 'Write', value: 104n },
        { major: 8n, minor: 0n, op: 'Sync', value: 104n },
        { major: 8n, minor: 0n, op: 'Async', value: 124n },
        { major: 8n, minor: 0n, op: 'Total', value: 228n },
      ],
      ioServiceBytesRecursive: [
        { major: 8n, minor: 0n, op: 'Read', value: 1282048n },
        { major: 8n, minor: 0n, op: 'Write', value: 2195456n },
      ],
    });
    expect(s.hugetlb).toEqual({ '2MB': { usage: 2097152n, max: 4194304n, failcnt: 1n }, '1GB': { failcnt: 0n } });
  });

  it('keeps 64-bit counters exact (a memory limit of max is 9223372036854771712, not 9223372036854772000)', () => {
    const { m, root } = setup();
    m.create();
    const d = (f: string) => `${C}/memory/ctr/${f}`;
    writeTree(root, {
      [d('memory.limit_in_bytes')]: '9223372036854771712\n',
      [d('memory.memsw.limit_in_bytes')]: '9223372036854771712\n',
      [d('memory.stat')]: 'cache 0\nhierarchical_memory_limit 9223372036854771712\ntotal_rss 18446744073709551615\n',
      [`${C}/cpuacct/ctr/cpuacct.usage`]: '18446744073709551557\n',
    });
    const s = m.stats();
    expect(s.memory.usage.limit).toBe(9223372036854771712n);
    expect(s.memory.swap?.limit).toBe(9223372036854771712n);
    expect(s.memory.raw?.hierarchical_memory_limit).toBe(9223372036854771712n);
    expect(s.memory.raw?.total_rss).toBe(18446744073709551615n);
    expect(s.cpu.usage.total).toBe(18446744073709551557n);
  });

  it('leaves out what a host does not have and counts OOM kills', () => {
    const { m, root } = setup({ without: ['cpuacct', 'blkio', 'hugetlb', 'cpuset'] });
    m.create();
    writeTree(root, { [`${C}/memory/ctr/memory.oom_control`]: 'oom_kill_disable 0\nunder_oom 0\noom_kill 4\n' });
    const s = m.stats();
    expect(s.cpuset).toBeUndefined();
    expect(s.hugetlb).toBeUndefined();
    expect(s.blkio).toEqual({});
    expect(s.cpu.usage).toEqual({ total: 0n, kernel: 0n, user: 0n });
    expect(m.oomKills()).toBe(4);
  });
});
