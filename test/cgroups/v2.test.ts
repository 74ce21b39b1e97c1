import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCgroupManager, v2DeviceFilter } from '../../src/cgroups/index.js';
import type { CgroupLayout, DeviceProgramOps } from '../../src/cgroups/types.js';
import { CgroupV2Manager } from '../../src/cgroups/v2.js';
import type { LinuxResources } from '../../src/spec/schema.js';
import { cleanup, FakeCgroupIO, readRel, tempRoot, writeTree } from './fake-cgroupfs.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) cleanup(r);
});

const C = '/sys/fs/cgroup';
const CONTROLLERS = 'cpuset cpu io memory hugetlb pids rdma misc';

/** A new v2 directory's interface files, with a fresh cgroup's values. */
function v2Files(): Record<string, string> {
  return {
    'cgroup.procs': '',
    'cgroup.controllers': CONTROLLERS + '\n',
    'cgroup.subtree_control': '',
    'cgroup.type': 'domain\n',
    'cgroup.freeze': '0\n',
    'cgroup.events': 'populated 0\nfrozen 0\n',
    'cgroup.kill': '',
    'cpu.weight': '100\n',
    'cpu.max': 'max 100000\n',
    'cpu.max.burst': '0\n',
    'cpu.idle': '0\n',
    'cpuset.cpus': '',
    'cpuset.mems': '',
    'memory.max': 'max\n',
    'memory.low': '0\n',
    'memory.high': 'max\n',
    'memory.swap.max': 'max\n',
    'memory.current': '0\n',
    'io.weight': 'default 100\n',
    'io.max': '',
    'pids.max': 'max\n',
    'hugetlb.2MB.max': 'max\n',
    'hugetlb.2MB.rsvd.max': 'max\n',
    'rdma.max': '',
  };
}

function setup(o: { path?: string; resources?: LinuxResources; rootFiles?: Record<string, string>; devicePrograms?: DeviceProgramOps; skipDevices?: boolean } = {}) {
  const root = tempRoot();
  roots.push(root);
  writeTree(root, { [`${C}/cgroup.controllers`]: CONTROLLERS + '\n', [`${C}/cgroup.subtree_control`]: '', [`${C}/cgroup.procs`]: '1\n', ...o.rootFiles });
  const io = new FakeCgroupIO(root, v2Files);
  const layout: CgroupLayout = { mode: 'v2', v1: [], v2: { mountpoint: C, root: '/' } };
  // Paths given without the root: the manager puts them under it.
  const paths = { v1: {}, v2: o.path ?? `${C}/machine.slice/ctr` };
  const m = openCgroupManager({ layout, paths, root, io, resources: o.resources, devicePrograms: o.devicePrograms, skipDevices: o.skipDevices, freezerTiming: { v2WaitTries: 3, v2WaitSleepMs: 1 } });
  return { root, io, m, dir: paths.v2 };
}

describe('CgroupV2Manager.create', () => {
  it("creates the directories and enables the mount's controllers in every ancestor, not in the leaf", () => {
    const { m, io } = setup();
    expect(m).toBeInstanceOf(CgroupV2Manager);
    m.create();
    expect(io.mkdirs).toEqual([`${C}/machine.slice`, `${C}/machine.slice/ctr`]);
    const enable = '+cpuset +cpu +io +memory +hugetlb +pids +rdma +misc';
    expect(io.writes).toEqual([
      { file: `${C}/cgroup.subtree_control`, data: enable },
      { file: `${C}/machine.slice/cgroup.subtree_control`, data: enable },
    ]);
  });

  it('enables the controllers one by one when the whole set is refused', () => {
    const { m, io } = setup({ path: `${C}/ctr` });
    io.failWrite(`${C}/cgroup.subtree_control`, 'ENOENT', 'EOPNOTSUPP');
    m.create();
    expect(io.writesTo('cgroup.subtree_control')).toEqual(['+cpu', '+io', '+memory', '+hugetlb', '+pids', '+rdma', '+misc']);
  });

  it('refuses domain controllers in a threaded or invalid cgroup, removing what it created', () => {
    const a = setup({ path: `${C}/t/ctr`, resources: { memory: { limit: 1000000 } }, rootFiles: { [`${C}/t/cgroup.type`]: 'threaded\n', [`${C}/t/cgroup.procs`]: '' } });
    expect(() => a.m.create()).toThrow(`cannot enter cgroupv2 "${a.root}${C}/t" with domain controllers -- it is in threaded mode`);

    const b = setup({ path: `${C}/new/ctr`, resources: { cpu: { shares: 512 } } });
    const orig = b.io.mkdir.bind(b.io);
    b.io.mkdir = (p: string) => {
      orig(p);
      if (p.endsWith('/ctr')) writeTree(b.root, { [`${C}/new/ctr/cgroup.type`]: 'domain invalid\n' });
    };
    expect(() => b.m.create()).toThrow('with domain controllers -- it is in an invalid state');
    expect(existsSync(join(b.root, `${C}/new`))).toBe(false);

    const c = setup({ path: `${C}/ctr`, resources: { pids: { limit: 10 } } });
    c.io.mkdir = (p: string) => {
      FakeCgroupIO.prototype.mkdir.call(c.io, p);
      writeTree(c.root, { [`${C}/ctr/cgroup.type`]: 'domain invalid\n' });
    };
    c.m.create();
    expect(readRel(c.root, `${C}/ctr/cgroup.type`)).toBe('threaded');
  });

  it('refuses an existing cgroup with processes or frozen', () => {
    const a = setup({ path: `${C}/ctr` });
    writeTree(a.root, { [`${C}/ctr/cgroup.procs`]: '5\n' });
    expect(() => a.m.create()).toThrow("container's cgroup is not empty: 1 process(es) found");
    const b = setup({ path: `${C}/ctr` });
    writeTree(b.root, { [`${C}/ctr/cgroup.procs`]: '', [`${C}/ctr/cgroup.freeze`]: '1\n', [`${C}/ctr/cgroup.events`]: 'populated 0\nfrozen 1\n' });
    expect(() => b.m.create()).toThrow("container's cgroup unexpectedly frozen");
  });

  it('refuses a path outside the mount', () => {
    const root = tempRoot();
    roots.push(root);
    const m = openCgroupManager({ layout: { mode: 'v2', v1: [], v2: { mountpoint: C, root: '/' } }, paths: { v1: {}, v2: '/elsewhere/ctr' }, root, io: new FakeCgroupIO(root) });
    expect(() => m.create()).toThrow(`invalid cgroup path ${root}/elsewhere/ctr`);
  });
});

const FULL: LinuxResources = {
  devices: [{ allow: false, access: 'rwm' }],
  memory: { limit: 536870912, reservation: 268435456, swap: 1073741824, swappiness: 10, disableOOMKiller: true },
  cpu: { shares: 512, quota: 50000, period: 200000, burst: 1000, realtimeRuntime: 1, cpus: '0-1', mems: '0', idle: 0 },
  pids: { limit: 0 },
  blockIO: {
    weight: 300,
    leafWeight: 10,
    weightDevice: [{ major: 8, minor: 0, weight: 400 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
  },
  hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
  network: { classID: 1 },
  rdma: { mlx5_1: { hcaHandles: 3 } },
  unified: { 'memory.high': '400000000', 'cgroup.type': 'threaded' },
};

describe('CgroupV2Manager.apply', () => {
  it("writes every field with runc's conversions, files and order; device rules are not written", () => {
    const { m, io } = setup();
    m.create();
    io.writes.length = 0;
    const warnings = m.apply(FULL);
    const W = (f: string, data: string) => ({ file: `${C}/machine.slice/ctr/${f}`, data });
    expect(io.writes).toEqual([
      W('pids.max', '1'),
      W('memory.swap.max', '536870912'),
      W('memory.max', '536870912'),
      W('memory.low', '268435456'),
      W('io.weight', '2930'),
      W('io.max', '8:0 rbps=1048576'),
      W('io.max', '8:0 wbps=2097152'),
      W('io.max', '8:0 riops=100'),
      W('io.max', '8:0 wiops=200'),
      W('cpu.idle', '0'),
      W('cpu.weight', '59'),
      W('cpu.max.burst', '1000'),
      W('cpu.max', '50000 200000'),
      W('cpuset.cpus', '0-1'),
      W('cpuset.mems', '0'),
      W('hugetlb.2MB.max', '4194304'),
      W('hugetlb.2MB.rsvd.max', '4194304'),
      W('rdma.max', 'mlx5_1 hca_handle=3'),
      W('memory.high', '400000000'),
      W('cgroup.type', 'threaded'),
    ]);
    expect(warnings).toEqual([
      'linux.resources.network: not supported on cgroup v2, ignored',
      'linux.resources.memory.swappiness: not supported on cgroup v2, ignored',
      'linux.resources.memory.disableOOMKiller: not supported on cgroup v2, ignored',
      'linux.resources.blockIO.leafWeight: not supported on cgroup v2, ignored',
      'linux.resources.blockIO.weightDevice: needs the BFQ I/O scheduler with per-device weights, ignored',
      'linux.resources.cpu.realtimeRuntime: not supported on cgroup v2, ignored',
    ]);
  });

  it('uses BFQ for the weight as given and per-device weights where the kernel has them', () => {
    const { m, io, root, dir } = setup();
    m.create();
    writeTree(root, { [`${dir}/io.bfq.weight`]: 'default 100\n' });
    io.writes.length = 0;
    m.apply({ blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 400 }, { major: 8, minor: 16, weight: 50 }] } });
    expect(io.writesTo('io.bfq.weight')).toEqual(['300', '8:0 400\n', '8:16 50\n']);
    expect(io.writesTo('io.weight')).toEqual([]);
  });

  it('writes "max" for -1 and treats swap as memory+swap', () => {
    const { m, io } = setup();
    m.create();
    io.writes.length = 0;
    m.apply({ memory: { limit: -1 }, cpu: { quota: -1 }, pids: { limit: -1 } });
    expect(io.writes.map((w) => `${w.file.split('/').pop()}=${w.data}`)).toEqual(['pids.max=max', 'memory.swap.max=max', 'memory.max=max', 'cpu.max=max 100000']);
    io.writes.length = 0;
    m.apply({ memory: { limit: 1000, swap: 1000 } });
    expect(io.writes.map((w) => `${w.file.split('/').pop()}=${w.data}`)).toEqual(['memory.swap.max=0', 'memory.max=1000']);
    expect(() => m.apply({ memory: { swap: 1000 } })).toThrow('unable to set swap limit without memory limit');
  });

  it('ignores a missing memory.swap.max for no or unlimited swap only', () => {
    const { m, root, dir } = setup();
    m.create();
    cleanup(join(root, dir, 'memory.swap.max'));
    expect(m.apply({ memory: { limit: 1000, swap: 1000 } })).toEqual([]);
    expect(m.apply({ memory: { limit: -1 } })).toEqual([]);
    expect(() => m.apply({ memory: { limit: 1000, swap: 3000 } })).toThrow(`linux.resources.memory.swap: open ${root}${dir}/memory.swap.max: no such file or directory`);
  });

  it('refuses limits at or below the usage with checkBeforeUpdate', () => {
    const { m, root, dir } = setup();
    m.create();
    writeTree(root, { [`${dir}/memory.current`]: '1000000\n' });
    expect(() => m.apply({ memory: { limit: 500000, checkBeforeUpdate: true } })).toThrow('rejecting memory limit 500000 <= usage 1000000');
    expect(() => m.apply({ memory: { limit: 5000000, swap: 900000, checkBeforeUpdate: true } })).toThrow('rejecting memory+swap limit 900000 <= usage 1000000');
    expect(() => m.apply({ memory: { limit: 500000 } })).not.toThrow();
  });

  it('warns for a default value without its controller, and fails for one asked for', () => {
    const { m, root, dir } = setup();
    m.create();
    cleanup(join(root, dir, 'pids.max'));
    cleanup(join(root, dir, 'cpu.weight'));
    expect(m.apply({ pids: { limit: -1 }, cpu: { shares: 1024 } })).toEqual([
      `linux.resources.pids.limit: ${root}${dir}/pids.max does not exist on this host, ignored`,
      `linux.resources.cpu.shares: ${root}${dir}/cpu.weight does not exist on this host, ignored`,
    ]);
    expect(() => m.apply({ pids: { limit: 100 } })).toThrow(`linux.resources.pids.limit: open ${root}${dir}/pids.max: no such file or directory`);
    cleanup(join(root, dir, 'hugetlb.2MB.max'));
    expect(() => m.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] })).toThrow('linux.resources.hugepageLimits: open');
  });

  it("checks unified keys as runc does", () => {
    const { m, io, dir, root } = setup();
    m.create();
    expect(() => m.apply({ unified: { '../memory.max': '1' } })).toThrow('unified resource "../memory.max" must be a file name (no slashes)');
    expect(() => m.apply({ unified: { nodot: '1' } })).toThrow('unified resource "nodot" must be in the form CONTROLLER.PARAMETER');
    expect(() => m.apply({ unified: { 'foo.bar': '1' } })).toThrow('unified resource "foo.bar" can\'t be set: controller "foo" not available');
    expect(() => m.apply({ unified: { 'memory.nope': '1' } })).toThrow(`unable to set unified resource "memory.nope": open ${root}${dir}/memory.nope: no such file or directory`);
    io.writes.length = 0;
    m.apply({ unified: { 'io.max': '8:0 rbps=1\n8:16 wbps=2\n' } });
    expect(io.writesTo('io.max')).toEqual(['8:0 rbps=1\n', '8:16 wbps=2\n']);
  });

  it('returns the device filter for the caller to load', () => {
    const { program, license } = v2DeviceFilter(FULL, []);
    expect(license).toBe('Apache');
    expect(program.length % 8).toBe(0);
    expect(program.length).toBeGreaterThan(8 * 8);
  });
});

describe('CgroupV2Manager processes', () => {
  it('join (systemd driver): makes the directory systemd has not made yet, and accepts one already busy', () => {
    const { m, io, root, dir } = setup();
    expect(existsSync(join(root, dir))).toBe(false);
    m.join(42);
    expect(existsSync(join(root, dir))).toBe(true);
    expect(io.writesTo('ctr/cgroup.procs')).toEqual(['42']);
    writeTree(root, { [`${dir}/cgroup.procs`]: '42\n' });
    expect(() => m.create()).toThrow(/not empty/);
    m.join(42);
    expect(io.writesTo('ctr/cgroup.procs')).toEqual(['42', '42']);
  });

  it('adds a process and lists the processes of the cgroup and its sub-cgroups', () => {
    const { m, io, root, dir } = setup();
    m.create();
    m.addProcess(42);
    expect(io.writesTo('ctr/cgroup.procs')).toEqual(['42']);
    writeTree(root, { [`${dir}/cgroup.procs`]: '42\n43\n', [`${dir}/a/cgroup.procs`]: '44\n', [`${dir}/a/b/cgroup.procs`]: '45\n' });
    expect(m.pids()).toEqual([42, 43, 44, 45]);
  });

  it('freezes through cgroup.freeze and waits for cgroup.events to say frozen', () => {
    const { m, io, root, dir } = setup();
    m.create();
    io.onWrite = (rel, data) => (rel.endsWith('cgroup.freeze') ? `${data}\n` : undefined);
    writeTree(root, { [`${dir}/cgroup.events`]: 'populated 1\nfrozen 1\n' });
    m.freeze();
    expect(io.writesTo('cgroup.freeze')).toEqual(['1']);
    expect(m.isFrozen()).toBe(true);
    m.thaw();
    expect(m.isFrozen()).toBe(false);
    expect(io.writesTo('cgroup.freeze')).toEqual(['1', '0']);
  });

  it('gives up waiting for "frozen 1" after its bounded polls', () => {
    const { m, root, dir } = setup();
    m.create();
    writeTree(root, { [`${dir}/cgroup.events`]: 'populated 1\nfrozen 0\n' });
    expect(() => m.freeze()).toThrow('timeout of 0.003s reached waiting for the cgroup to freeze');
  });

  it('has no freezer without cgroup.freeze: freezing fails, thawing is a no-op', () => {
    const { m, root, dir } = setup();
    m.create();
    cleanup(join(root, dir, 'cgroup.freeze'));
    expect(() => m.freeze()).toThrow(`freezer not supported: open ${root}${dir}/cgroup.freeze: no such file or directory`);
    expect(() => m.thaw()).not.toThrow();
    expect(m.isFrozen()).toBe(false);
  });

  it('kills with cgroup.kill, or freezes, SIGKILLs and thaws without it', async () => {
    const a = setup();
    a.m.create();
    a.io.writes.length = 0;
    a.m.killAll();
    expect(a.io.writes).toEqual([{ file: `${a.dir}/cgroup.kill`, data: '1' }]);

    const b = setup();
    b.m.create();
    cleanup(join(b.root, b.dir, 'cgroup.kill'));
    writeTree(b.root, { [`${b.dir}/cgroup.events`]: 'populated 1\nfrozen 1\n' });
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
    writeTree(b.root, { [`${b.dir}/cgroup.procs`]: `${child.pid}\n` });
    b.io.writes.length = 0;
    b.m.killAll();
    expect(await exited).toBe('SIGKILL');
    expect(b.io.writesTo('cgroup.freeze')).toEqual(['1', '0']);
  });

  it('kills nothing, and does not fail, when the cgroup goes away meanwhile (systemd removes an emptied scope)', () => {
    const { m, io, root, dir } = setup();
    m.create();
    // There at the check, gone at cgroup.kill and at cgroup.procs.
    io.failWrite(`${dir}/cgroup.kill`, 'ENOENT');
    cleanup(join(root, dir, 'cgroup.procs'));
    expect(() => m.killAll()).not.toThrow();
    // Being removed: the kernel says ENODEV on its files.
    io.failWrite(`${dir}/cgroup.kill`, 'ENODEV');
    io.failWrite(`${dir}/cgroup.freeze`, 'ENODEV');
    expect(() => m.killAll()).not.toThrow();
  });

  it('removes the directory and its sub-cgroups; a missing one is fine', () => {
    const { m, io, root, dir } = setup();
    m.create();
    io.mkdir(join(root, dir, 'sub'));
    io.mkdir(join(root, dir, 'sub', 'deeper'));
    io.failRmdir(`${dir}/sub`, 'EBUSY');
    m.destroy();
    expect(existsSync(join(root, dir))).toBe(false);
    expect(existsSync(join(root, `${C}/machine.slice`))).toBe(true);
    expect(() => m.destroy()).not.toThrow();
  });
});

describe('CgroupV2Manager.stats', () => {
  it('reads cpu.stat, memory.stat, memory.current, io.stat, pids and hugetlb files', () => {
    const { m, root, dir } = setup();
    m.create();
    writeTree(root, {
      [`${dir}/cpu.stat`]: 'usage_usec 15000\nuser_usec 10000\nsystem_usec 5000\nnr_periods 4\nnr_throttled 1\nthrottled_usec 700\nnr_bursts 0\nburst_usec 0\n',
      [`${dir}/memory.stat`]: 'anon 4096\nfile 8192\nkernel 1024\nsock 0\n',
      [`${dir}/memory.current`]: '13312\n',
      [`${dir}/memory.max`]: '536870912\n',
      [`${dir}/memory.peak`]: '20480\n',
      [`${dir}/memory.swap.current`]: '4096\n',
      [`${dir}/memory.swap.max`]: '1073741824\n',
      [`${dir}/io.stat`]: '8:0 rbytes=1282048 wbytes=2195456 rios=124 wios=104 dbytes=0 dios=0\n253:0 rbytes=4096 wbytes=0 rios=1 wios=0\n',
      [`${dir}/pids.current`]: '3\n',
      [`${dir}/pids.max`]: '100\n',
      [`${dir}/hugetlb.2MB.rsvd.current`]: '2097152\n',
      [`${dir}/hugetlb.2MB.events`]: 'max 2\n',
      [`${dir}/memory.events`]: 'low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n',
    });
    const s = m.stats();
    expect(s.cpu).toEqual({ usage: { total: 15000000n, user: 10000000n, kernel: 5000000n }, throttling: { periods: 4n, throttledPeriods: 1n, throttledTime: 700000n } });
    expect(s.memory).toEqual({
      cache: 8192n,
      raw: { anon: 4096n, file: 8192n, kernel: 1024n, sock: 0n },
      usage: { usage: 13312n, limit: 536870912n, max: 20480n },
      swap: { usage: 17408n, limit: 1610612736n },
    });
    expect(s.pids).toEqual({ current: 3n, limit: 100n });
    expect(s.blkio).toEqual({
      ioServiceBytesRecursive: [
        { major: 8n, minor: 0n, op: 'Read', value: 1282048n },
        { major: 8n, minor: 0n, op: 'Write', value: 2195456n },
        { major: 253n, minor: 0n, op: 'Read', value: 4096n },
        { major: 253n, minor: 0n, op: 'Write', value: 0n },
      ],
      ioServicedRecursive: [
        { major: 8n, minor: 0n, op: 'Read', value: 124n },
        { major: 8n, minor: 0n, op: 'Write', value: 104n },
        { major: 253n, minor: 0n, op: 'Read', value: 1n },
        { major: 253n, minor: 0n, op: 'Write', value: 0n },
      ],
    });
    expect(s.hugetlb).toEqual({ '2MB': { usage: 2097152n, failcnt: 2n } });
    expect(s.cpuset).toBeUndefined();
    expect(m.oomKills()).toBe(1);
  });

  it('counts cgroup.procs without the pids controller and leaves out missing files', () => {
    const { m, root, dir } = setup();
    m.create();
    for (const f of ['pids.current', 'pids.max', 'memory.swap.max', 'memory.max', 'memory.current', 'hugetlb.2MB.max', 'hugetlb.2MB.rsvd.max']) cleanup(join(root, dir, f));
    writeTree(root, { [`${dir}/cgroup.procs`]: '7\n8\n' });
    const s = m.stats();
    expect(s.pids).toEqual({ current: 2n, limit: 0n });
    expect(s.memory).toEqual({ usage: {} });
    expect(s.hugetlb).toEqual({});
    expect(m.oomKills()).toBe(0);
  });
});

describe('CgroupV2Manager device rules', () => {
  /** Records what the manager asks of the kernel; fds are /dev/null opens so the manager can close them. */
  function recorder() {
    const calls: string[] = [];
    let loaded: Buffer | undefined;
    const fd = () => openSync('/dev/null', 'r');
    const ops: DeviceProgramOps = {
      query: () => (calls.push('query'), [fd()]),
      load: (insns, license) => ((loaded = insns), calls.push(`load ${license}`), fd()),
      attach: () => void calls.push('attach'),
      detach: () => void calls.push('detach old'),
    };
    return { ops, calls, program: () => loaded };
  }

  it("setUp writes the files and loads the container's device program, attached before the old one comes off", () => {
    const resources: LinuxResources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] };
    const r = recorder();
    const { m } = setup({ resources, devicePrograms: r.ops });
    expect(m.setUp(resources)).toEqual([]);
    expect(r.calls).toEqual(['query', 'load Apache', 'attach', 'detach old']);
    expect(r.program()).toEqual(v2DeviceFilter(resources, undefined).program);
  });

  it('a rootless cgroup gets no device program (an ordinary user cannot load one), its files still written', () => {
    const resources: LinuxResources = { devices: [{ allow: false, access: 'rwm' }], pids: { limit: 7 } };
    const r = recorder();
    const { m, root, dir } = setup({ resources, devicePrograms: r.ops, skipDevices: true });
    expect(m.setUp(resources)).toEqual([]);
    expect(r.calls).toEqual([]);
    expect(readRel(root, `${dir}/pids.max`)).toBe('7');
  });

  it("update leaves the device program alone (runc's SkipDevices)", () => {
    const r = recorder();
    const { m } = setup({ devicePrograms: r.ops });
    m.create();
    m.update({ pids: { limit: 10 } });
    expect(r.calls).toEqual([]);
  });
});
