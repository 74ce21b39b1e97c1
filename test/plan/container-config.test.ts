import { describe, expect, it } from 'vitest';
import type { CgroupHostFacts, CgroupRecord } from '../../src/cgroups/record.js';
import { StateFile } from '../../src/native/contract.js';
import { cgroupView, containerConfig, type ConfigHost, type ConfigInput } from '../../src/plan/container-config.js';
import { OpKind } from '../../src/native/contract.js';
import { defaultSpec } from '../../src/spec/default-spec.js';
import { parseSpec } from '../../src/spec/load.js';
import type { Spec } from '../../src/spec/schema.js';

const hybrid: CgroupRecord = {
  driver: 'cgroupfs',
  layout: {
    mode: 'hybrid',
    v1: [
      { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', subsystems: ['cpu', 'cpuacct'], root: '/' },
      { mountpoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], root: '/' },
      { mountpoint: '/sys/fs/cgroup/systemd', subsystems: ['name=systemd'], root: '/' },
      { mountpoint: '/sys/fs/cgroup/net_cls', subsystems: ['net_cls'], root: '/' },
    ],
    v2: { mountpoint: '/sys/fs/cgroup/unified', root: '/' },
  },
  paths: {
    v1: { cpu: '/sys/fs/cgroup/cpu,cpuacct/ctr', cpuacct: '/sys/fs/cgroup/cpu,cpuacct/ctr', memory: '/sys/fs/cgroup/memory/ctr', systemd: '/sys/fs/cgroup/systemd/ctr' },
    v2: '/sys/fs/cgroup/unified/ctr',
  },
};

describe("the plan's view of the container's cgroups", () => {
  it('hybrid: every v1 hierarchy the container has a directory in, with that directory; no v2 mount of its own', () => {
    expect(cgroupView(hybrid)).toEqual({
      v1: [
        { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', subsystems: ['cpu', 'cpuacct'], path: '/sys/fs/cgroup/cpu,cpuacct/ctr' },
        { mountpoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], path: '/sys/fs/cgroup/memory/ctr' },
        { mountpoint: '/sys/fs/cgroup/systemd', subsystems: ['name=systemd'], path: '/sys/fs/cgroup/systemd/ctr' },
      ],
      v2: undefined,
      hybrid: true,
    });
  });

  it('pure v2: the unified mount and the container directory', () => {
    const r: CgroupRecord = { driver: 'cgroupfs', layout: { mode: 'v2', v1: [], v2: { mountpoint: '/sys/fs/cgroup', root: '/' } }, paths: { v1: {}, v2: '/sys/fs/cgroup/a/ctr' } };
    expect(cgroupView(r)).toEqual({ v1: [], v2: { mountpoint: '/sys/fs/cgroup', path: '/sys/fs/cgroup/a/ctr' }, hybrid: false });
  });
});

// ---------------------------------------------------------------------------------------------
// The one conversion

const V2_HOST: CgroupHostFacts = { layout: { mode: 'v2', v1: [], v2: { mountpoint: '/sys/fs/cgroup', root: '/' } }, own: new Map([['', '/user.slice']]) };
const V1_HOST: CgroupHostFacts = {
  layout: {
    mode: 'v1',
    v1: [
      { mountpoint: '/sys/fs/cgroup/devices', subsystems: ['devices'], root: '/' },
      { mountpoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], root: '/' },
    ],
  },
  own: new Map([
    ['devices', '/'],
    ['memory', '/'],
  ]),
};

type Json = Record<string, any>;
function spec(edit: (s: Json) => void = () => undefined): Spec {
  const s = structuredClone(defaultSpec()) as Json;
  edit(s);
  return parseSpec(s);
}

function host(o: { cgroups?: CgroupHostFacts; maps?: ConfigHost['userNsMaps']; cgroupWritable?: ConfigHost['cgroupWritable'] } = {}): ConfigHost & { compiled: number } {
  const h = {
    compiled: 0,
    capLastCap: 40,
    capBounding: (1n << 41n) - 1n,
    hasKcore: true,
    apparmorEnabled: false,
    selinuxEnabled: false,
    pathKind: () => 'missing' as const,
    cgroups: o.cgroups ?? V2_HOST,
    home: (rootfs: string, uid: number) => (rootfs === '/b/rootfs' && uid === 1000 ? '/home/u' : undefined),
    compileSeccomp: () => {
      h.compiled++;
      return { program: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), flags: 4 };
    },
    cgroupWritable: o.cgroupWritable ?? (() => true),
    systemdUserCgroup: () => '/user.slice/user-1000.slice/user@1000.service',
    userNsMaps: o.maps ?? (() => ({ uidMaps: [{ containerID: 0, hostID: 5000, size: 10 }], gidMaps: [{ containerID: 0, hostID: 6000, size: 10 }] })),
  };
  return h;
}

function input(o: Partial<ConfigInput> = {}): ConfigInput {
  return { id: 'c1', bundle: '/b', rootfs: '/b/rootfs', fifo: '/run/tsrun/c1/exec.fifo', foreground: false, noPivot: false, noNewKeyring: false, preserveFds: 0, systemdCgroup: false, ...o };
}

describe('containerConfig: spec, options and host facts → the one container config', () => {
  it('decides the cgroup once: the launch plan clones into the directory the kept record manages (cgroupfs on v2)', () => {
    const c = containerConfig(spec((s) => (s.linux.cgroupsPath = '/pods/c1')), input(), host());
    expect(c.kept.cgroup).toMatchObject({ driver: 'cgroupfs', paths: { v2: '/sys/fs/cgroup/pods/c1' } });
    expect(c.launch.cgroupDir).toBe('/sys/fs/cgroup/pods/c1');
  });

  it('on v1 the init is moved in later (no clone into a cgroup); systemd records its unit and slice', () => {
    const v1 = containerConfig(spec(), input(), host({ cgroups: V1_HOST }));
    expect(v1.launch.cgroupDir).toBeUndefined();
    expect(v1.kept.cgroup!.paths.v1).toEqual({ devices: '/sys/fs/cgroup/devices/c1', memory: '/sys/fs/cgroup/memory/c1' });
    const sd = containerConfig(spec((s) => (s.linux.cgroupsPath = 'system.slice:tsrun:c1')), input({ systemdCgroup: true }), host());
    expect(sd.kept.cgroup).toMatchObject({ driver: 'systemd', unit: 'tsrun-c1.scope', slice: 'system.slice' });
    expect(sd.launch.cgroupDir).toBeUndefined();
  });

  it("the shim counts OOM kills in the kept cgroup's file", () => {
    const shim = { mode: 1, caller: 1, logMax: 0, flags: 0, dir: '/run/tsrun/c1', logDir: '/var/log/tsrun/c1-x' };
    expect(containerConfig(spec(), input({ shim }), host()).launch.shim!.oomFile).toBe('/sys/fs/cgroup/c1/memory.events');
    expect(containerConfig(spec(), input({ shim }), host({ cgroups: V1_HOST })).launch.shim!.oomFile).toBe('/sys/fs/cgroup/memory/c1/memory.oom_control');
  });

  it("exec's defaults are the init's own settings: the same masks, rlimits and seccomp filter (compiled once)", () => {
    const h = host();
    const c = containerConfig(
      spec((s) => {
        s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', listenerMetadata: 'm' };
        s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }];
      }),
      input({ noNewKeyring: true }),
      h,
    );
    expect(h.compiled).toBe(1);
    const caps = c.launch.process.caps!;
    expect(c.kept.exec.caps).toEqual({
      bounding: `0x${caps.bounding.toString(16)}`,
      effective: `0x${caps.effective.toString(16)}`,
      permitted: `0x${caps.permitted.toString(16)}`,
      inheritable: `0x${caps.inheritable.toString(16)}`,
      ambient: `0x${caps.ambient.toString(16)}`,
      last: 40,
    });
    expect(c.kept.exec.rlimits).toEqual([{ resource: 7, soft: '10', hard: '20', name: 'RLIMIT_NOFILE' }]);
    expect(c.kept.exec.noNewKeyring).toBe(true);
    expect(c.kept.exec.seccomp).toEqual({ file: StateFile.SECCOMP, flags: 4, listener: { path: '/run/agent.sock', metadata: 'm' } });
    expect(c.launch.process.seccomp).toEqual({ program: c.seccompProgram, flags: 4 });
  });

  it('HOME from the rootfs passwd for the process user; hooks split between the runtime and later commands', () => {
    const hook = { path: '/bin/true' };
    const c = containerConfig(
      spec((s) => {
        s.process.user = { uid: 1000, gid: 1000 };
        s.process.env = ['PATH=/bin'];
        s.hooks = { prestart: [hook], createRuntime: [hook], poststart: [hook], poststop: [hook, hook] };
      }),
      input(),
      host(),
    );
    expect(c.launch.process.env).toContain('HOME=/home/u');
    expect(c.runtimeHooks).toEqual({ prestart: [hook], createRuntime: [hook] });
    expect(c.kept.hooks).toEqual({ poststart: [hook], poststop: [hook, hook] });
    expect(c.launch.ops.some((o) => o.kind === OpKind.SYNC)).toBe(true);
  });

  it('keeps whether the pid namespace is its own and whether there is a terminal', () => {
    const own = containerConfig(spec((s) => (s.process.terminal = true)), input(), host());
    expect(own.kept).toMatchObject({ privatePidNs: true, terminal: true });
    const joined = containerConfig(
      spec((s) => {
        s.process.terminal = false;
        s.linux.namespaces = s.linux.namespaces.map((n: Json) => (n.type === 'pid' ? { type: 'pid', path: '/proc/1/ns/pid' } : n));
      }),
      input(),
      host(),
    );
    expect(joined.kept).toMatchObject({ privatePidNs: false, terminal: false });
  });

  it("exec.fifo belongs to the process user's host ids: through a new user namespace's maps, or a joined one's", () => {
    const user = (s: Json) => (s.process.user = { uid: 3, gid: 4 });
    expect(containerConfig(spec(user), input(), host()).fifoOwner).toEqual({ uid: 3, gid: 4 });
    const newNs = spec((s) => {
      user(s);
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    });
    expect(containerConfig(newNs, input(), host()).fifoOwner).toEqual({ uid: 100003, gid: 200004 });
    const joined = spec((s) => {
      user(s);
      s.linux.namespaces.push({ type: 'user', path: '/proc/77/ns/user' });
    });
    const seen: string[] = [];
    const maps = (p: string) => (seen.push(p), { uidMaps: [{ containerID: 0, hostID: 5000, size: 10 }], gidMaps: [{ containerID: 0, hostID: 6000, size: 10 }] });
    expect(containerConfig(joined, input(), host({ maps })).fifoOwner).toEqual({ uid: 5003, gid: 6004 });
    expect(seen).toEqual(['/proc/77/ns/user']);
  });

  it('leaves the spec it was given untouched (the notify mount and variable are the container\'s view only)', () => {
    const s = spec();
    const before = JSON.stringify(s);
    const notify = { mount: { destination: '/run/notify', source: '/run/tsrun/c1/notify', type: 'bind', options: ['bind'] }, env: 'NOTIFY_SOCKET=/run/notify/notify.sock' };
    const c = containerConfig(s, input({ notify }), host());
    expect(JSON.stringify(s)).toBe(before);
    expect(c.launch.process.env).toContain('NOTIFY_SOCKET=/run/notify/notify.sock');
  });

  it('rootless: a cgroup this user cannot make is left out; the container sees its own (tsrun\'s) cgroups', () => {
    const c = containerConfig(spec((s) => delete s.linux.resources), input({ rootlessCgroups: true }), host({ cgroupWritable: () => false }));
    expect(c.kept.cgroup).toBeUndefined();
    expect(c.launch.cgroupDir).toBeUndefined();
    const kept = containerConfig(spec(), input({ rootlessCgroups: true }), host({ cgroupWritable: () => true }));
    expect(kept.kept.cgroup?.paths.v2).toBe('/sys/fs/cgroup/c1');
  });

  it('rootless: limits without a cgroup are refused, naming the field; device rules and defaults only warn', () => {
    const noCg = host({ cgroupWritable: () => false });
    expect(() => containerConfig(spec((s) => (s.linux.resources = { memory: { limit: 1 << 20 } })), input({ rootlessCgroups: true }), noCg)).toThrow(
      'linux.resources.memory.limit: cannot set memory limit: container could not join or create cgroup',
    );
    expect(() => containerConfig(spec((s) => (s.linux.resources = { pids: { limit: 10 } })), input({ rootlessCgroups: true }), noCg)).toThrow(
      'linux.resources.pids.limit: cannot set pids limit: container could not join or create cgroup',
    );
    const c = containerConfig(spec((s) => (s.linux.resources = { devices: [{ allow: false, access: 'rwm' }], memory: { limit: -1 } })), input({ rootlessCgroups: true }), noCg);
    expect(c.kept.cgroup).toBeUndefined();
    expect(c.launch.warnings).toContain('linux.resources.memory.limit: no memory cgroup on this host, ignored');
  });

  it('rootless: a cgroupsPath that config.json names but this user cannot make is refused (as runc)', () => {
    const noCg = host({ cgroupWritable: () => false });
    expect(() => containerConfig(spec((s) => (s.linux.cgroupsPath = '/pods/c1')), input({ rootlessCgroups: true }), noCg)).toThrow(
      /^linux\.cgroupsPath "\/pods\/c1": this user cannot create that cgroup \(permission denied\); leave cgroupsPath out/,
    );
  });

  it('not rootless: the cgroup is kept whatever the host says (making it fails later, loudly)', () => {
    const c = containerConfig(spec(), input({ rootlessCgroups: false }), host({ cgroupWritable: () => false }));
    expect(c.kept.cgroup).toBeDefined();
  });

  it("rootless with --systemd-cgroup: the user's manager's unit, under its ControlGroup, user.slice by default; refused on v1", () => {
    const c = containerConfig(spec(), input({ systemdCgroup: true, rootlessCgroups: true }), host());
    expect(c.kept.cgroup).toMatchObject({
      driver: 'systemd',
      userBus: true,
      unit: 'runc-c1.scope',
      slice: 'user.slice',
      paths: { v2: '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/user.slice/runc-c1.scope' },
    });
    expect(containerConfig(spec(), input({ systemdCgroup: true }), host()).kept.cgroup).toMatchObject({ slice: 'system.slice', paths: { v2: '/sys/fs/cgroup/system.slice/runc-c1.scope' } });
    expect(containerConfig(spec(), input({ systemdCgroup: true }), host()).kept.cgroup!.userBus).toBeUndefined();
    expect(() => containerConfig(spec(), input({ systemdCgroup: true, rootlessCgroups: true }), host({ cgroups: V1_HOST }))).toThrow(/user's systemd .* only on cgroup v2/);
  });
});

