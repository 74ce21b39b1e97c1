/** The TypeScript encoder against the launcher's own C++ decoder (build/Release/tsrun-plan-dump). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { LaunchMode, OpFlag, OpKind, ProcessFlag } from '../../src/native/contract.js';
import { encodePlan } from '../../src/plan/encode.js';
import type { Plan } from '../../src/plan/plan.js';
import { specToPlan } from '../../src/plan/create-plan.js';
import { CLONE } from '../../src/plan/tables.js';
import { defaultSpec } from '../../src/spec/default-spec.js';
import { parseSpec } from '../../src/spec/load.js';

const DUMP = fileURLToPath(new URL('../../build/Release/tsrun-plan-dump', import.meta.url));

interface Dumped {
  error?: string;
  mode: number;
  nsNew: number;
  joins: { type: number; path: string }[];
  timens: number[] | null;
  uidMaps: number[][];
  gidMaps: number[][];
  setgroupsDeny: boolean;
  fifo: string;
  consoleSocket: string | null;
  consoleSize: number[];
  ops: { kind: number; flags: number; a: string; b: string; c: string; d: string; s: string[] }[];
  argv: string[];
  envp: string[];
  exe: string[];
  cwd: string;
  uid: number;
  gid: number;
  umask: number;
  groups: number[];
  caps: [string, string, string, string, string, number] | null;
  rlimits: [number, string, string][];
  processFlags: number;
  keyring: string | null;
  preserveFds: number;
  oomScoreAdj: number | null;
  hooks: { phase: number; timeout: number; path: string; args: string[]; env: string[] }[];
  hookStates: { phase: number; before: string; after: string }[];
}

function dumpRaw(bytes: Buffer): { status: number | null; out: Dumped } {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(bytes.length);
  const r = spawnSync(DUMP, [], { input: Buffer.concat([len, bytes]), encoding: 'utf8' });
  expect(r.error).toBeUndefined();
  return { status: r.status, out: JSON.parse(r.stdout) as Dumped };
}

function dump(plan: Plan): Dumped {
  const { status, out } = dumpRaw(encodePlan(plan));
  expect(out.error).toBeUndefined();
  expect(status).toBe(0);
  return out;
}

const U64_MAX = 0xffffffffffffffffn;

function fullPlan(): Plan {
  return {
    mode: LaunchMode.FOREGROUND,
    nsNew: CLONE.NEWPID | CLONE.NEWNS | CLONE.NEWUSER,
    joins: [
      { type: CLONE.NEWNET, path: '/proc/42/ns/net', name: 'network' },
      { type: CLONE.NEWIPC, path: '/var/run/netns/ü ipc', name: 'ipc' },
    ],
    hooks: [
      { phase: 2, path: '/usr/bin/hook', args: ['hook', '--x'], env: ['A=1', 'B=ü'], timeout: 5 },
      { phase: 3, path: '/bin/true', args: ['true'], env: [], timeout: 0 },
    ],
    hookStates: [{ phase: 2, before: '{"ociVersion":"1.3.0","id":"c","status":"created","pid":', after: ',"bundle":"/b"}' }],
    idmapMounts: [],
    timeOffsets: { boottime: [12345, 678], monotonic: [-3600, 999999999] },
    uidMaps: [
      { containerID: 0, hostID: 100000, size: 65536 },
      { containerID: 65536, hostID: 4294967294, size: 1 },
    ],
    gidMaps: [{ containerID: 0, hostID: 200000, size: 1000 }],
    setgroupsDeny: true,
    fifo: '/run/tsrun/c1/exec.fifo',
    consoleSocket: '/tmp/console.sock',
    consoleSize: { rows: 24, cols: 132 },
    ops: [
      {
        kind: OpKind.MOUNT,
        flags: OpFlag.MK_DIR | OpFlag.NO_SYMLINK,
        a: 0x1234,
        b: U64_MAX,
        c: (1n << 32n) + 7n,
        d: 2 ** 53 - 1,
        s: ['src', '/dst', 'tmpfs', 'mode=755,size=1k'],
        what: 'm',
      },
      { kind: OpKind.SYMLINK, flags: 0, a: 0, b: 0, c: 0, d: 0, s: ['', '', '', ''], what: 'empty strings' },
      {
        kind: OpKind.SYSCTL,
        flags: OpFlag.OPTIONAL,
        a: 1,
        b: 2,
        c: 3,
        d: 4,
        s: ['/proc/sys/kernel/hostname', 'ünïcødé 路径 🚀', 'quote " back \\ slash', 'tab\tnewline\n'],
        what: 'u',
      },
    ],
    process: {
      args: ['/bin/echo', 'héllo', '', 'a b'],
      env: ['PATH=/bin', 'EMPTY=', 'UTF=ñ'],
      exe: ['/bin/echo', '/usr/bin/echo'],
      cwd: '/wörk',
      uid: 1000,
      gid: 2147483647,
      umask: 0o27,
      groups: [5, 100, 65534],
      caps: { bounding: (1n << 40n) | 1n, effective: 1n << 21n, permitted: (1n << 41n) - 1n, inheritable: 0n, ambient: 1n << 10n, last: 40 },
      rlimits: [
        { resource: 7, soft: 1024n, hard: 4096n, name: 'RLIMIT_NOFILE' },
        { resource: 4, soft: U64_MAX, hard: U64_MAX, name: 'RLIMIT_CORE' },
      ],
      flags: ProcessFlag.NO_NEW_PRIVS | ProcessFlag.TERMINAL | ProcessFlag.SUBREAPER,
      keyring: '_ses.c1',
      preserveFds: 3,
      oomScoreAdj: -999,
    },
    warnings: ['not encoded'],
  };
}

describe('plan round trip through the C++ decoder', () => {
  let d: Dumped;
  beforeAll(() => {
    expect(existsSync(DUMP), `${DUMP} (build it with npx cmake-js compile --out build)`).toBe(true);
    d = dump(fullPlan());
  });

  it('keeps mode, namespaces, joins and time offsets (negative included)', () => {
    expect(d.mode).toBe(LaunchMode.FOREGROUND);
    expect(d.nsNew).toBe(CLONE.NEWPID | CLONE.NEWNS | CLONE.NEWUSER);
    expect(d.joins).toEqual([
      { type: CLONE.NEWNET, path: '/proc/42/ns/net' },
      { type: CLONE.NEWIPC, path: '/var/run/netns/ü ipc' },
    ]);
    expect(d.timens).toEqual([12345, 678, -3600, 999999999]);
  });

  it('keeps id maps and setgroups deny', () => {
    expect(d.uidMaps).toEqual([
      [0, 100000, 65536],
      [65536, 4294967294, 1],
    ]);
    expect(d.gidMaps).toEqual([[0, 200000, 1000]]);
    expect(d.setgroupsDeny).toBe(true);
  });

  it('keeps the fifo dir and the console', () => {
    expect(d.fifo).toBe('/run/tsrun/c1/exec.fifo');
    expect(d.consoleSocket).toBe('/tmp/console.sock');
    expect(d.consoleSize).toEqual([24, 132]);
  });

  it('keeps every op: kind, flags, four u64 and four strings (UTF-8, empty, escapes)', () => {
    expect(d.ops).toEqual([
      {
        kind: OpKind.MOUNT,
        flags: OpFlag.MK_DIR | OpFlag.NO_SYMLINK,
        a: '4660',
        b: '18446744073709551615',
        c: '4294967303',
        d: '9007199254740991',
        s: ['src', '/dst', 'tmpfs', 'mode=755,size=1k'],
      },
      { kind: OpKind.SYMLINK, flags: 0, a: '0', b: '0', c: '0', d: '0', s: ['', '', '', ''] },
      {
        kind: OpKind.SYSCTL,
        flags: OpFlag.OPTIONAL,
        a: '1',
        b: '2',
        c: '3',
        d: '4',
        s: ['/proc/sys/kernel/hostname', 'ünïcødé 路径 🚀', 'quote " back \\ slash', 'tab\tnewline\n'],
      },
    ]);
  });

  it('keeps argv, env and exe candidates, including empty and UTF-8 strings', () => {
    expect(d.argv).toEqual(['/bin/echo', 'héllo', '', 'a b']);
    expect(d.envp).toEqual(['PATH=/bin', 'EMPTY=', 'UTF=ñ']);
    expect(d.exe).toEqual(['/bin/echo', '/usr/bin/echo']);
    expect(d.cwd).toBe('/wörk');
  });

  it('keeps the user, umask and groups', () => {
    expect([d.uid, d.gid, d.umask]).toEqual([1000, 2147483647, 0o27]);
    expect(d.groups).toEqual([5, 100, 65534]);
  });

  it('keeps capability masks as exact 64-bit values', () => {
    expect(d.caps).toEqual([
      String((1n << 40n) | 1n),
      String(1n << 21n),
      String((1n << 41n) - 1n),
      '0',
      String(1n << 10n),
      40,
    ]);
  });

  it('keeps rlimits with u64 max', () => {
    expect(d.rlimits).toEqual([
      [7, '1024', '4096'],
      [4, '18446744073709551615', '18446744073709551615'],
    ]);
  });

  it('keeps process flags, keyring, preserved fds and a negative oom_score_adj', () => {
    expect(d.processFlags).toBe(ProcessFlag.NO_NEW_PRIVS | ProcessFlag.TERMINAL | ProcessFlag.SUBREAPER);
    expect(d.keyring).toBe('_ses.c1');
    expect(d.preserveFds).toBe(3);
    expect(d.oomScoreAdj).toBe(-999);
  });

  it("keeps the init's hooks with their args, env and timeouts, and the state halves around the pid", () => {
    expect(d.hooks).toEqual([
      { phase: 2, timeout: 5, path: '/usr/bin/hook', args: ['hook', '--x'], env: ['A=1', 'B=ü'] },
      { phase: 3, timeout: 0, path: '/bin/true', args: ['true'], env: [] },
    ]);
    expect(d.hookStates).toEqual([
      { phase: 2, before: '{"ociVersion":"1.3.0","id":"c","status":"created","pid":', after: ',"bundle":"/b"}' },
    ]);
  });

  it('leaves optional records absent', () => {
    const p = fullPlan();
    delete p.timeOffsets;
    delete p.consoleSocket;
    delete p.consoleSize;
    delete p.process.caps;
    delete p.process.keyring;
    delete p.process.oomScoreAdj;
    delete p.process.umask;
    p.setgroupsDeny = false;
    const m = dump(p);
    expect(m.timens).toBeNull();
    expect(m.consoleSocket).toBeNull();
    expect(m.consoleSize).toEqual([0, 0]);
    expect(m.caps).toBeNull();
    expect(m.keyring).toBeNull();
    expect(m.oomScoreAdj).toBeNull();
    expect(m.umask).toBe(0xffffffff);
    expect(m.setgroupsDeny).toBe(false);
  });

  it('decodes the plan of the default spec op for op', () => {
    const plan = specToPlan(
      parseSpec(defaultSpec()),
      { id: 'c1', bundle: '/b', fifo: '/run/tsrun/c1/exec.fifo', foreground: false, noPivot: false, noNewKeyring: false, preserveFds: 0 },
      { capLastCap: 40, capBounding: (1n << 41n) - 1n, hasKcore: true, cgroup: { v1: [], v2: { mountpoint: '/sys/fs/cgroup', path: '/sys/fs/cgroup/x' }, hybrid: false }, apparmorEnabled: false, selinuxEnabled: false, pathKind: () => 'dir' },
    );
    const m = dump(plan);
    expect(m.ops).toEqual(
      plan.ops.map((o) => ({ kind: o.kind, flags: o.flags, a: String(o.a), b: String(o.b), c: String(o.c), d: String(o.d), s: o.s })),
    );
    expect(m.argv).toEqual(plan.process.args);
    expect(m.envp).toEqual(plan.process.env);
    expect(m.keyring).toBe('_ses.c1');
  });

  it('rejects a truncated plan', () => {
    const bytes = encodePlan(fullPlan());
    const { status, out } = dumpRaw(bytes.subarray(0, bytes.length - 3));
    expect(status).toBe(1);
    expect(out.error).toMatch(/truncated/);
  });

  it('rejects a plan with a wrong magic', () => {
    const bytes = Buffer.from(encodePlan(fullPlan()));
    bytes.writeUInt32LE(0xdeadbeef, 0);
    const { status, out } = dumpRaw(bytes);
    expect(status).toBe(1);
    expect(out.error).toBe('bad plan header');
  });

  // (uid_t)-1 means "leave unchanged" to setresuid/setresgid: such a plan must never reach the init.
  describe('refuses ids outside 0..2147483647 and id maps that overflow', () => {
    const refused = (edit: (p: Plan) => void, what: RegExp) => {
      const p = fullPlan();
      edit(p);
      const { status, out } = dumpRaw(encodePlan(p));
      expect(status).toBe(1);
      expect(out.error).toMatch(what);
    };
    it('uid and gid of -1 (4294967295) and 2^31', () => {
      refused((p) => (p.process.uid = 4294967295), /uid 4294967295 out of range/);
      refused((p) => (p.process.uid = -1), /uid 18446744073709551615 out of range/);
      refused((p) => (p.process.gid = 4294967295), /gid 4294967295 out of range/);
      refused((p) => (p.process.gid = 2147483648), /gid 2147483648 out of range/);
    });
    it('an additional gid of -1', () => {
      refused((p) => p.process.groups.push(4294967295), /additional gid 4294967295 out of range/);
    });
    it('id maps past u32 or wrapping around', () => {
      refused((p) => (p.uidMaps = [{ containerID: 0, hostID: 2 ** 32, size: 1 }]), /uid mapping .* out of range/);
      refused((p) => (p.gidMaps = [{ containerID: 4294967295, hostID: 0, size: 1 }]), /gid mapping .* out of range/);
      refused((p) => (p.uidMaps = [{ containerID: 0, hostID: 4294967295, size: 1 }]), /uid mapping .* out of range/);
      refused((p) => (p.uidMaps = [{ containerID: 4294967000, hostID: 0, size: 1000 }]), /uid mapping .* out of range/);
      refused((p) => (p.gidMaps = [{ containerID: 0, hostID: 0, size: 0 }]), /gid mapping .* out of range/);
    });
    it('the maps of an idmapped mount too', () => {
      refused(
        (p) => (p.idmapMounts = [{ index: 0, source: '/x', recursive: false, attrSet: 0, attrClr: 0, uidMaps: [{ containerID: 0, hostID: 1, size: 1 }], gidMaps: [{ containerID: 0, hostID: 4294967295, size: 2 }] }]),
        /idmapped mount gid mapping .* out of range/,
      );
    });
    it('a cgroup to clone into for a process others could see at birth (no new pid namespace, or a joined one)', () => {
      refused((p) => ((p.cgroupDir = '/sys/fs/cgroup/c'), (p.nsNew = CLONE.NEWNS)), /clones into a cgroup/);
      refused((p) => ((p.cgroupDir = '/sys/fs/cgroup/c'), p.joins.push({ type: CLONE.NEWPID, path: '/proc/7/ns/pid', name: 'pid' })), /clones into a cgroup/);
      refused((p) => ((p.cgroupDir = '/sys/fs/cgroup/c'), (p.process.flags |= ProcessFlag.EXEC), (p.execRoot = '/proc/7/root')), /clones into a cgroup/);
      const ok = fullPlan();
      ok.cgroupDir = '/sys/fs/cgroup/c';
      expect(dumpRaw(encodePlan(ok)).status).toBe(0);
    });
    it('keeps the largest valid values', () => {
      const p = fullPlan();
      p.process.uid = 2147483647;
      p.process.groups = [0, 2147483647];
      p.uidMaps = [{ containerID: 0, hostID: 4294967294, size: 1 }];
      expect(dump(p).uid).toBe(2147483647);
    });
  });

  it('rejects a plan with a wrong version', () => {
    const bytes = Buffer.from(encodePlan(fullPlan()));
    bytes.writeUInt32LE(99, 4);
    const { status, out } = dumpRaw(bytes);
    expect(status).toBe(1);
    expect(out.error).toBe('bad plan header');
  });
});
