import { describe, expect, it } from 'vitest';
import { LaunchMode, OpFlag, OpKind, ProcessFlag } from '../../src/native/contract.js';
import type { CgroupHost, HostFacts } from '../../src/plan/host.js';
import type { Plan, PlanOp } from '../../src/plan/plan.js';
import { clonedUnseen, hostId, specToPlan, type ConvertOptions } from '../../src/plan/create-plan.js';
import { parseMountOptions } from '../../src/plan/mounts.js';
import { exeCandidates } from '../../src/plan/process.js';
import { CLONE, DEFAULT_PATH, MOUNT_ATTR, MS, S_IF } from '../../src/plan/tables.js';
import { defaultSpec } from '../../src/spec/default-spec.js';
import { parseSpec } from '../../src/spec/load.js';
import type { Spec } from '../../src/spec/schema.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

const V2: CgroupHost = { v1: [], v2: { mountpoint: '/sys/fs/cgroup', path: '/sys/fs/cgroup/system.slice/c1' }, hybrid: false };
const V1: CgroupHost = {
  v1: [
    { mountpoint: '/sys/fs/cgroup/systemd', subsystems: ['name=systemd'], path: '/sys/fs/cgroup/systemd/user.slice/c1' },
    { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', subsystems: ['cpu', 'cpuacct'], path: '/sys/fs/cgroup/cpu,cpuacct/user.slice/c1' },
    { mountpoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], path: '/sys/fs/cgroup/memory/user.slice/c1' },
  ],
  hybrid: false,
};

function fakeHost(
  o: { hasKcore?: boolean; cgroup?: CgroupHost; kinds?: Record<string, 'dir' | 'file'>; capLastCap?: number; selinux?: boolean; capBounding?: bigint } = {},
): HostFacts {
  const kinds = o.kinds ?? {};
  return {
    capLastCap: o.capLastCap ?? 40,
    capBounding: o.capBounding ?? (1n << 41n) - 1n,
    hasKcore: o.hasKcore ?? true,
    apparmorEnabled: false,
    selinuxEnabled: o.selinux ?? false,
    cgroup: o.cgroup ?? V2,
    pathKind: (p) => kinds[p] ?? 'missing',
  };
}

const BUNDLE = '/bundles/b1';
const ROOTFS = '/bundles/b1/rootfs';

function options(o: Partial<ConvertOptions> = {}): ConvertOptions {
  return {
    id: 'c1',
    bundle: BUNDLE,
    fifo: '/run/tsrun/c1/exec.fifo',
    foreground: false,
    noPivot: false,
    noNewKeyring: false,
    preserveFds: 0,
    ...o,
  };
}

type Json = Record<string, any>;

/** runc's default config.json, modified by `edit` on its JSON form, then validated. */
function spec(edit: (s: Json) => void = () => undefined): Spec {
  const s = structuredClone(defaultSpec()) as Json;
  edit(s);
  return parseSpec(s);
}

function plan(edit?: (s: Json) => void, o: Partial<ConvertOptions> = {}, host: HostFacts = fakeHost()): Plan {
  return specToPlan(spec(edit), options(o), host);
}

const kindName = (k: number) => Object.entries(OpKind).find(([, v]) => v === k)?.[0] ?? `?${k}`;
const mountAt = (p: Plan, dest: string) => p.ops.filter((o) => o.kind === OpKind.MOUNT && o.s[1] === dest);
const oneMountAt = (p: Plan, dest: string): PlanOp => {
  const found = mountAt(p, dest);
  expect(found, `mounts on ${dest}`).toHaveLength(1);
  return found[0]!;
};
const indexOfKind = (p: Plan, kind: number) => p.ops.findIndex((o) => o.kind === kind);

/** Replaces the mounts of the default spec (keeping the default namespaces). */
const withMounts = (mounts: Json[]) => (s: Json) => {
  s.mounts = mounts;
};
const withNamespaces = (ns: Json[]) => (s: Json) => {
  s.linux.namespaces = ns;
};

// ---------------------------------------------------------------------------------------------

describe('specToPlan: namespaces', () => {
  it('creates every namespace listed without a path with its CLONE_NEW* flag; the cgroup one later, from its cgroup', () => {
    const p = plan(
      withNamespaces([
        { type: 'pid' },
        { type: 'network' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'cgroup' },
        { type: 'user' },
      ]),
    );
    expect(p.nsNew).toBe(CLONE.NEWPID | CLONE.NEWNET | CLONE.NEWIPC | CLONE.NEWUTS | CLONE.NEWNS | CLONE.NEWUSER);
    expect(p.process.flags & ProcessFlag.NEW_CGROUPNS).toBe(ProcessFlag.NEW_CGROUPNS);
    expect(p.joins).toEqual([]);
  });

  it('joins namespaces given by path in joinOrder (user first), not in config order', () => {
    const p = plan(
      withNamespaces([
        { type: 'pid', path: '/proc/10/ns/pid' },
        { type: 'network', path: '/proc/10/ns/net' },
        { type: 'mount' },
        { type: 'user', path: '/proc/10/ns/user' },
        { type: 'ipc', path: '/proc/10/ns/ipc' },
      ]),
    );
    expect(p.joins).toEqual([
      { type: CLONE.NEWUSER, path: '/proc/10/ns/user', name: 'user' },
      { type: CLONE.NEWIPC, path: '/proc/10/ns/ipc', name: 'ipc' },
      { type: CLONE.NEWNET, path: '/proc/10/ns/net', name: 'network' },
      { type: CLONE.NEWPID, path: '/proc/10/ns/pid', name: 'pid' },
    ]);
    expect(p.nsNew).toBe(CLONE.NEWNS);
  });

  it('turns a new time namespace into timeOffsets, never into nsNew', () => {
    const p = plan((s) => {
      s.linux.namespaces.push({ type: 'time' });
      s.linux.timeOffsets = { boottime: { secs: 100, nanosecs: 5 }, monotonic: { secs: -7 } };
    });
    expect(p.nsNew & CLONE.NEWTIME).toBe(0);
    expect(p.timeOffsets).toEqual({ boottime: [100, 5], monotonic: [-7, 0] });
  });

  it('joins a time namespace given by path without offsets', () => {
    const p = plan((s) => s.linux.namespaces.push({ type: 'time', path: '/proc/10/ns/time' }));
    expect(p.timeOffsets).toBeUndefined();
    expect(p.joins).toEqual([{ type: CLONE.NEWTIME, path: '/proc/10/ns/time', name: 'time' }]);
    expect(p.nsNew & CLONE.NEWTIME).toBe(0);
  });

  it('copies uid and gid mappings of a new user namespace', () => {
    const p = plan((s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }];
    });
    expect(p.uidMaps).toEqual([{ containerID: 0, hostID: 100000, size: 65536 }]);
    expect(p.gidMaps).toEqual([{ containerID: 0, hostID: 200000, size: 1000 }]);
    expect(p.nsNew & CLONE.NEWUSER).toBe(CLONE.NEWUSER);
  });
});

describe('who may be cloned into its cgroup, and host ids', () => {
  it('clones into the cgroup only an init alone in a new pid namespace (nobody sees its fds at birth)', () => {
    expect(clonedUnseen(plan(withNamespaces([{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/run/netns/x' }])))).toBe(true);
    expect(clonedUnseen(plan(withNamespaces([{ type: 'mount' }])))).toBe(false);
    expect(clonedUnseen(plan(withNamespaces([{ type: 'pid', path: '/proc/7/ns/pid' }, { type: 'mount' }])))).toBe(false);
    expect(clonedUnseen(plan(withNamespaces([{ type: 'pid' }, { type: 'cgroup', path: '/proc/7/ns/cgroup' }])))).toBe(false);
  });

  it('maps an id of the container to the host through the maps, or keeps it without a user namespace', () => {
    const maps = [
      { containerID: 0, hostID: 100000, size: 1000 },
      { containerID: 1000, hostID: 5000, size: 1 },
    ];
    expect(hostId(undefined, 42)).toBe(42);
    expect(hostId(maps, 0)).toBe(100000);
    expect(hostId(maps, 999)).toBe(100999);
    expect(hostId(maps, 1000)).toBe(5000);
    expect(hostId(maps, 1001)).toBeUndefined();
  });
});

describe('specToPlan: the filesystem script of the default spec', () => {
  const p = plan();

  it('runs the steps in runc order', () => {
    const seq = p.ops.map((o) => `${kindName(o.kind)} ${o.s[0]} ${o.s[1]}`.trim());
    expect(seq).toEqual([
      'MOUNT  /',
      `PARENT_PROPAGATION ${ROOTFS}`,
      `MOUNT ${ROOTFS} ${ROOTFS}`,
      `OPEN_ROOT ${ROOTFS}`,
      'MOUNT proc /proc',
      'MOUNT tmpfs /dev',
      'MOUNT devpts /dev/pts',
      'MOUNT shm /dev/shm',
      'MOUNT mqueue /dev/mqueue',
      'MOUNT sysfs /sys',
      'MOUNT cgroup /sys/fs/cgroup',
      'MKNOD /dev/null',
      'MKNOD /dev/zero',
      'MKNOD /dev/full',
      'MKNOD /dev/random',
      'MKNOD /dev/urandom',
      'MKNOD /dev/tty',
      'UNLINK /dev/ptmx',
      'SYMLINK pts/ptmx /dev/ptmx',
      'SYMLINK /proc/self/fd /dev/fd',
      'SYMLINK /proc/self/fd/0 /dev/stdin',
      'SYMLINK /proc/self/fd/1 /dev/stdout',
      'SYMLINK /proc/self/fd/2 /dev/stderr',
      'SYMLINK /proc/kcore /dev/core',
      'PIVOT',
      'MKDIR /',
      'CONSOLE /dev/ptmx',
      'REMOUNT_RO /',
      'HOSTNAME tsrun',
      'READONLY /proc/bus',
      'READONLY /proc/fs',
      'READONLY /proc/irq',
      'READONLY /proc/sys',
      'READONLY /proc/sysrq-trigger',
      'MASK /proc/acpi',
      'MASK /proc/asound',
      'MASK /proc/kcore',
      'MASK /proc/keys',
      'MASK /proc/latency_stats',
      'MASK /proc/timer_list',
      'MASK /proc/timer_stats',
      'MASK /proc/sched_debug',
      'MASK /sys/firmware',
      'MASK /proc/scsi',
      'MASK /sys/devices/virtual/powercap',
    ]);
  });

  it('first makes "/" of the host view a recursive slave and the rootfs mount private, then binds the rootfs on itself and opens it', () => {
    const [slave, parent, bind, open] = p.ops;
    expect(slave).toMatchObject({ kind: OpKind.MOUNT, flags: OpFlag.TGT_HOST, a: 0, c: MS.SLAVE | MS.REC, s: ['', '/', '', ''] });
    expect(parent).toMatchObject({ kind: OpKind.PARENT_PROPAGATION, a: MS.PRIVATE, s: [ROOTFS, '', '', ''] });
    expect(bind).toMatchObject({ kind: OpKind.MOUNT, flags: OpFlag.TGT_HOST, a: MS.BIND | MS.REC, s: [ROOTFS, ROOTFS, '', ''] });
    expect(open).toMatchObject({ kind: OpKind.OPEN_ROOT, s: [ROOTFS, '', '', ''] });
  });

  it('mounts proc refusing a symlinked target (the only mount allowed to land in procfs)', () => {
    expect(oneMountAt(p, '/proc')).toMatchObject({
      flags: OpFlag.MK_DIR | OpFlag.NO_SYMLINK | OpFlag.PROC_ALLOWED,
      a: 0,
      s: ['proc', '/proc', 'proc', ''],
      what: 'mount "proc" on "/proc"',
    });
  });

  it('lets only proc and the files lxcfs emulates land inside procfs', () => {
    const q = plan((s) => s.mounts.push({ destination: '/proc/cpuinfo', type: 'bind', source: '/etc/hostname', options: ['bind'] }));
    expect(oneMountAt(q, '/proc/cpuinfo').flags & OpFlag.PROC_ALLOWED).toBe(OpFlag.PROC_ALLOWED);
    for (const dest of ['/dev', '/sys', '/dev/shm']) expect(oneMountAt(q, dest).flags & OpFlag.PROC_ALLOWED).toBe(0);
  });

  it('mounts /dev as tmpfs with nosuid,strictatime and the size/mode as data', () => {
    expect(oneMountAt(p, '/dev')).toMatchObject({
      flags: OpFlag.MK_DIR,
      a: MS.NOSUID | MS.STRICTATIME,
      s: ['tmpfs', '/dev', 'tmpfs', 'mode=755,size=65536k'],
    });
  });

  it('mounts devpts with its data options in config order', () => {
    expect(oneMountAt(p, '/dev/pts')).toMatchObject({
      a: MS.NOSUID | MS.NOEXEC,
      s: ['devpts', '/dev/pts', 'devpts', 'newinstance,ptmxmode=0666,mode=0620,gid=5'],
    });
  });

  it('mounts /dev/shm and mqueue with nosuid,noexec,nodev', () => {
    expect(oneMountAt(p, '/dev/shm')).toMatchObject({
      a: MS.NOSUID | MS.NOEXEC | MS.NODEV,
      s: ['shm', '/dev/shm', 'tmpfs', 'mode=1777,size=65536k'],
    });
    expect(oneMountAt(p, '/dev/mqueue')).toMatchObject({
      a: MS.NOSUID | MS.NOEXEC | MS.NODEV,
      s: ['mqueue', '/dev/mqueue', 'mqueue', ''],
    });
  });

  it('mounts sysfs read-only (network namespace present) refusing a symlinked target', () => {
    expect(oneMountAt(p, '/sys')).toMatchObject({
      flags: OpFlag.MK_DIR | OpFlag.NO_SYMLINK,
      a: MS.RDONLY | MS.NOSUID | MS.NOEXEC | MS.NODEV,
      b: 0,
      s: ['sysfs', '/sys', 'sysfs', ''],
    });
  });

  it('creates the default devices as character nodes 0666 owned by root', () => {
    const nodes = p.ops.filter((o) => o.kind === OpKind.MKNOD);
    expect(nodes.map((o) => [o.s[0], o.a, o.b, o.c, BigInt(o.d)])).toEqual([
      ['/dev/null', S_IF.CHR | 0o666, 1, 3, 0n],
      ['/dev/zero', S_IF.CHR | 0o666, 1, 5, 0n],
      ['/dev/full', S_IF.CHR | 0o666, 1, 7, 0n],
      ['/dev/random', S_IF.CHR | 0o666, 1, 8, 0n],
      ['/dev/urandom', S_IF.CHR | 0o666, 1, 9, 0n],
      ['/dev/tty', S_IF.CHR | 0o666, 5, 0, 0n],
    ]);
  });

  it('links /dev/ptmx to pts/ptmx after removing any node there', () => {
    const unlink = p.ops.findIndex((o) => o.kind === OpKind.UNLINK && o.s[0] === '/dev/ptmx');
    const link = p.ops.findIndex((o) => o.kind === OpKind.SYMLINK && o.s[1] === '/dev/ptmx');
    expect(unlink).toBeGreaterThan(0);
    expect(link).toBe(unlink + 1);
    expect(p.ops[link]!.s[0]).toBe('pts/ptmx');
  });

  it('adds /dev/core only when the host has /proc/kcore', () => {
    const without = plan(undefined, {}, fakeHost({ hasKcore: false }));
    const links = without.ops.filter((o) => o.kind === OpKind.SYMLINK).map((o) => o.s[1]);
    expect(links).toEqual(['/dev/ptmx', '/dev/fd', '/dev/stdin', '/dev/stdout', '/dev/stderr']);
    expect(p.ops.some((o) => o.kind === OpKind.SYMLINK && o.s[1] === '/dev/core' && o.s[0] === '/proc/kcore')).toBe(true);
  });

  it('pivots (no flags), creates the cwd 0755, then remounts "/" read-only for a readonly root', () => {
    const pivot = indexOfKind(p, OpKind.PIVOT);
    expect(p.ops[pivot]!.flags).toBe(0);
    expect(p.ops[pivot + 1]).toMatchObject({ kind: OpKind.MKDIR, a: 0o755, s: ['/', '', '', ''] });
    const ro = indexOfKind(p, OpKind.REMOUNT_RO);
    expect(ro).toBeGreaterThan(pivot);
    expect(p.ops[ro]!.s[0]).toBe('/');
  });

  it('uses MS_MOVE + chroot instead of pivot_root with noPivot', () => {
    const np = plan(undefined, { noPivot: true });
    expect(np.ops[indexOfKind(np, OpKind.PIVOT)]!.flags).toBe(OpFlag.NO_PIVOT);
  });

  it('has no REMOUNT_RO of "/" when the root is writable', () => {
    const rw = plan((s) => (s.root.readonly = false));
    expect(rw.ops.some((o) => o.kind === OpKind.REMOUNT_RO && o.s[0] === '/')).toBe(false);
  });

  it('sets the hostname after the pivot', () => {
    const h = indexOfKind(p, OpKind.HOSTNAME);
    expect(h).toBeGreaterThan(indexOfKind(p, OpKind.PIVOT));
    expect(p.ops[h]!.s[0]).toBe('tsrun');
  });

  it('writes sysctls to their /proc/sys path', () => {
    const s = plan((x) => (x.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '8192' }));
    const ops = s.ops.filter((o) => o.kind === OpKind.SYSCTL).map((o) => o.s.slice(0, 2));
    expect(ops).toEqual([
      ['/proc/sys/net/ipv4/ip_forward', '1'],
      ['/proc/sys/kernel/msgmax', '8192'],
    ]);
  });

  it('without a mount namespace only opens the root and chroots', () => {
    const c = plan((s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: Json) => n.type !== 'mount');
      delete s.mounts;
      delete s.linux.maskedPaths;
      delete s.linux.readonlyPaths;
      s.root.readonly = false;
    });
    expect(c.ops.slice(0, 3).map((o) => o.kind)).toEqual([OpKind.OPEN_ROOT, OpKind.CHROOT, OpKind.MKDIR]);
    expect(c.ops.some((o) => o.kind === OpKind.MOUNT || o.kind === OpKind.PIVOT)).toBe(false);
  });
});

describe('specToPlan: mounts', () => {
  it('resolves a relative bind source against the bundle and creates a directory mount point', () => {
    const p = plan(withMounts([{ destination: '/data', type: 'bind', source: 'data', options: ['rbind'] }]), {}, fakeHost({ kinds: { [`${BUNDLE}/data`]: 'dir' } }));
    expect(oneMountAt(p, '/data')).toMatchObject({
      flags: OpFlag.MK_DIR,
      a: MS.BIND | MS.REC,
      b: 0,
      c: 0,
      s: [`${BUNDLE}/data`, '/data', '', ''],
    });
  });

  it('creates a file mount point when the bind source is a file', () => {
    const p = plan(
      withMounts([{ destination: '/etc/hosts', source: '/etc/hosts', options: ['bind'] }]),
      {},
      fakeHost({ kinds: { '/etc/hosts': 'file' } }),
    );
    expect(oneMountAt(p, '/etc/hosts')).toMatchObject({ flags: OpFlag.MK_FILE, a: MS.BIND, b: 0 });
  });

  it('remounts a bind only for options beyond bind/rbind, with MS_REMOUNT and the flags in b', () => {
    const p = plan(withMounts([{ destination: '/ro', type: 'bind', source: '/srv', options: ['rbind', 'ro', 'nosuid', 'nodev'] }]));
    const m = oneMountAt(p, '/ro');
    expect(m.a).toBe(MS.BIND | MS.REC);
    expect(m.b).toBe(MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV);
  });

  it('still remounts a bind when an option only clears a flag ("rw")', () => {
    const p = plan(withMounts([{ destination: '/rw', type: 'bind', source: '/srv', options: ['bind', 'rw'] }]));
    expect(oneMountAt(p, '/rw').b).toBe(MS.REMOUNT);
  });

  it('puts a propagation option in c', () => {
    const p = plan(withMounts([{ destination: '/shared', type: 'bind', source: '/srv', options: ['rbind', 'rshared'] }]));
    const m = oneMountAt(p, '/shared');
    expect(m.c).toBe(MS.SHARED | MS.REC);
    expect(m.b).toBe(0);
  });

  it('normalises the destination lexically', () => {
    const p = plan(withMounts([{ destination: 'a/../b//c/', type: 'tmpfs', source: 'tmpfs' }]));
    expect(oneMountAt(p, '/b/c').s[1]).toBe('/b/c');
  });

  it('mounts a "ro" tmpfs writable and remounts it read-only after the pivot', () => {
    const p = plan(withMounts([{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nosuid', 'size=1m'] }]));
    const m = oneMountAt(p, '/tmp');
    expect(m.a).toBe(MS.NOSUID);
    expect(m.s[3]).toBe('size=1m');
    const ro = p.ops.findIndex((o) => o.kind === OpKind.REMOUNT_RO && o.s[0] === '/tmp');
    expect(ro).toBeGreaterThan(indexOfKind(p, OpKind.PIVOT));
  });

  it('binds the host /sys recursively for sysfs without a network namespace', () => {
    const p = plan((s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: Json) => n.type !== 'network');
    });
    expect(oneMountAt(p, '/sys')).toMatchObject({
      a: MS.BIND | MS.REC,
      b: MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NOEXEC | MS.NODEV,
      s: ['/sys', '/sys', '', ''],
    });
  });

  it('does not create devices when /dev is a bind mount', () => {
    const p = plan((s) => s.mounts.push({ destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] }));
    expect(p.ops.some((o) => o.kind === OpKind.MKNOD)).toBe(false);
  });

  it('collects unsupported options as warnings', () => {
    const p = plan(withMounts([{ destination: '/x', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] }]));
    expect(p.warnings.filter((w) => w.startsWith('mounts'))).toEqual(['mounts[0]: option "tmpcopyup" is not supported yet and was ignored']);
  });

  it('carries recursive attributes in d (set | clear << 32)', () => {
    const p = plan(withMounts([{ destination: '/x', type: 'bind', source: '/srv', options: ['rbind', 'rro', 'rnoatime', 'rexec'] }]));
    const m = p.ops.find((o) => o.s[1] === '/x')!;
    const set = MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOATIME;
    const clr = MOUNT_ATTR._ATIME | MOUNT_ATTR.NOEXEC;
    expect(m.d).toBe(BigInt(set) | (BigInt(clr) << 32n));
  });

  it('turns an idmapped bind into a tree the launcher prepares and an IDMAP_BIND step', () => {
    const p = plan((s) => {
      s.mounts.push({
        destination: '/data',
        type: 'bind',
        source: '/srv/data',
        options: ['rbind', 'ro', 'idmap'],
        uidMappings: [{ containerID: 0, hostID: 100000, size: 1000 }],
        gidMappings: [{ containerID: 0, hostID: 200000, size: 1000 }],
      });
    });
    expect(p.idmapMounts).toEqual([
      {
        index: 0,
        source: '/srv/data',
        recursive: true,
        attrSet: MOUNT_ATTR.RDONLY,
        attrClr: 0,
        uidMaps: [{ containerID: 0, hostID: 100000, size: 1000 }],
        gidMaps: [{ containerID: 0, hostID: 200000, size: 1000 }],
      },
    ]);
    const step = p.ops.find((o) => o.kind === OpKind.IDMAP_BIND)!;
    expect(step.s[1]).toBe('/data');
    expect(step.b).toBe(0);
  });

  it('uses the container mappings for a bare "idmap" option and refuses idmap on a non-bind mount', () => {
    const p = plan((s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      s.mounts.push({ destination: '/d', type: 'bind', source: '/srv', options: ['bind', 'idmap'] });
    });
    expect(p.idmapMounts[0]!.uidMaps).toEqual([{ containerID: 0, hostID: 1000, size: 1 }]);
    expect(p.idmapMounts[0]!.recursive).toBe(false);
    expect(() => plan((s) => s.mounts.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] }))).toThrow(
      'mounts[7]: idmapped mounts are only supported for bind mounts',
    );
  });
});

describe('specToPlan: devices', () => {
  const userNs = plan((s) => {
    s.linux.namespaces.push({ type: 'user' });
    s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  });

  it('in a user namespace binds the host nodes on files instead of mknod', () => {
    const p = userNs;
    expect(p.ops.some((o) => o.kind === OpKind.MKNOD)).toBe(false);
    const null_ = oneMountAt(p, '/dev/null');
    expect(null_).toMatchObject({ flags: OpFlag.MK_FILE, a: MS.BIND, s: ['/dev/null', '/dev/null', '', ''] });
    for (const d of ['/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']) expect(mountAt(p, d)).toHaveLength(1);
  });

  it('creates declared devices with their own type, mode and owner', () => {
    const q = plan((s) => {
      s.linux.devices = [{ path: '/dev/sda', type: 'b', major: 8, minor: 0, fileMode: 0o640, uid: 1, gid: 6 }];
    });
    const sda = q.ops.find((o) => o.kind === OpKind.MKNOD && o.s[0] === '/dev/sda');
    expect(sda).toMatchObject({ a: S_IF.BLK | 0o640, b: 8, c: 0 });
    expect(BigInt(sda!.d)).toBe((1n << 32n) | 6n);
  });
});

describe('specToPlan: an ordinary user\'s user namespace', () => {
  const user = { euid: 1000, egid: 1000 };
  const tools = { newuidmap: '/usr/bin/newuidmap', newgidmap: '/usr/bin/newgidmap' };
  const rootless = (uid: Json[], gid: Json[], edit: (s: Json) => void = () => undefined) =>
    plan(
      (s) => {
        s.linux.namespaces.push({ type: 'user' });
        s.linux.uidMappings = uid;
        s.linux.gidMappings = gid;
        edit(s);
      },
      {},
      { ...fakeHost(), unprivileged: user, idMapTools: tools },
    );
  const own = [{ containerID: 0, hostID: 1000, size: 1 }];
  const ranges = [...own, { containerID: 1, hostID: 100000, size: 65536 }];

  it('maps of its own ids only: written by the launcher, setgroups denied first, the init drops no groups', () => {
    const p = rootless(own, own);
    expect(p).toMatchObject({ uidMaps: own, gidMaps: own, setgroupsDeny: true });
    expect(p.idMapTools).toBeUndefined();
    expect(p.process.flags & ProcessFlag.SETGROUPS).toBe(0);
  });

  it('subordinate ids: newuidmap/newgidmap from PATH, setgroups kept, additional groups allowed', () => {
    const p = rootless(ranges, ranges, (s) => (s.process.user = { uid: 1, gid: 1, additionalGids: [5] }));
    expect(p).toMatchObject({ uidMaps: ranges, gidMaps: ranges, setgroupsDeny: false, idMapTools: tools });
    expect(p.process.flags & ProcessFlag.SETGROUPS).toBe(ProcessFlag.SETGROUPS);
    expect(p.process.groups).toEqual([5]);
  });

  it('refuses additional groups where setgroups is denied, saying what would allow them', () => {
    expect(() => rootless(own, own, (s) => (s.process.user = { uid: 0, gid: 0, additionalGids: [5] }))).toThrow(
      /process\.user\.additionalGids: .*denies setgroups.*\/etc\/subgid, newgidmap/,
    );
  });

  it('an ordinary user needs a user namespace of their own, with maps (runc\'s words first)', () => {
    const unpriv = { ...fakeHost(), unprivileged: user };
    expect(() => plan(() => undefined, {}, unpriv)).toThrow(/^rootless container requires user namespaces: linux.namespaces has no "user" \(tsrun runs as uid 1000\)$/);
    expect(() => plan((s) => s.linux.namespaces.push({ type: 'user' }), {}, unpriv)).toThrow('rootless containers requires at least one UID mapping');
    expect(() =>
      plan(
        (s) => {
          s.linux.namespaces.push({ type: 'user' });
          s.linux.uidMappings = own;
        },
        {},
        unpriv,
      ),
    ).toThrow('rootless containers requires at least one GID mapping');
    // A joined user namespace has its maps already.
    expect(() => plan((s) => s.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' }), {}, unpriv)).not.toThrow();
  });

  it('as root nothing changes: the launcher writes any map, setgroups stays', () => {
    const p = plan((s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = ranges;
      s.linux.gidMappings = ranges;
    });
    expect(p).toMatchObject({ setgroupsDeny: false });
    expect(p.idMapTools).toBeUndefined();
  });

  it('binds devices when tsrun itself runs in a user namespace (rootless Podman), even without a new one', () => {
    const p = plan(() => undefined, {}, { ...fakeHost(), inUserNs: true });
    expect(p.ops.some((o) => o.kind === OpKind.MKNOD)).toBe(false);
    expect(mountAt(p, '/dev/null')).toHaveLength(1);
  });
});

describe('specToPlan: cgroup mount', () => {
  it('mounts cgroup2 on a v2 host', () => {
    const p = plan();
    expect(oneMountAt(p, '/sys/fs/cgroup')).toMatchObject({
      flags: OpFlag.MK_DIR,
      a: MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY,
      s: ['cgroup', '/sys/fs/cgroup', 'cgroup2', ''],
    });
  });

  it('on a v2 host in a user namespace: a bind of the container cgroup with a cgroupns, of the whole tree without', () => {
    const withNs = plan((s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    });
    expect(oneMountAt(withNs, '/sys/fs/cgroup')).toMatchObject({ a: MS.BIND | MS.REC, s: ['/sys/fs/cgroup/system.slice/c1', '/sys/fs/cgroup', '', ''] });
    const inherited = plan((s) => (s.linux.namespaces = s.linux.namespaces.filter((n: Json) => n.type !== 'cgroup')), {}, { ...fakeHost(), inUserNs: true });
    expect(oneMountAt(inherited, '/sys/fs/cgroup')).toMatchObject({ a: MS.BIND | MS.REC, s: ['/sys/fs/cgroup', '/sys/fs/cgroup', '', ''] });
  });

  it('on a v1 host without cgroupns: a tmpfs, then a bind of the container cgroup per hierarchy, and comount links', () => {
    const p = plan((s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: Json) => n.type !== 'cgroup');
    }, {}, fakeHost({ cgroup: V1 }));
    const start = p.ops.findIndex((o) => o.s[1] === '/sys/fs/cgroup');
    expect(p.ops[start]).toMatchObject({
      kind: OpKind.MOUNT,
      a: MS.NOEXEC | MS.NOSUID | MS.NODEV,
      s: ['tmpfs', '/sys/fs/cgroup', 'tmpfs', 'mode=755'],
    });
    const next = p.ops.slice(start + 1, start + 6);
    expect(next.map((o) => [kindName(o.kind), o.s[0], o.s[1]])).toEqual([
      ['MOUNT', '/sys/fs/cgroup/systemd/user.slice/c1', '/sys/fs/cgroup/systemd'],
      ['MOUNT', '/sys/fs/cgroup/cpu,cpuacct/user.slice/c1', '/sys/fs/cgroup/cpu,cpuacct'],
      ['SYMLINK', 'cpu,cpuacct', '/sys/fs/cgroup/cpu'],
      ['SYMLINK', 'cpu,cpuacct', '/sys/fs/cgroup/cpuacct'],
      ['MOUNT', '/sys/fs/cgroup/memory/user.slice/c1', '/sys/fs/cgroup/memory'],
    ]);
    for (const bind of next.filter((o) => o.kind === OpKind.MOUNT)) {
      expect(bind.a).toBe(MS.BIND | MS.REC);
      expect(bind.b).toBe(MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME);
    }
  });

  it('on a v1 host with cgroupns: cgroup mounts with the subsystems as data', () => {
    const p = plan(undefined, {}, fakeHost({ cgroup: V1 }));
    const mounts = p.ops.filter((o) => o.kind === OpKind.MOUNT && o.s[1].startsWith('/sys/fs/cgroup/'));
    expect(mounts.map((o) => o.s)).toEqual([
      ['systemd', '/sys/fs/cgroup/systemd', 'cgroup', 'none,name=systemd'],
      ['cgroup', '/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'cpu,cpuacct'],
      ['cgroup', '/sys/fs/cgroup/memory', 'cgroup', 'memory'],
    ]);
    for (const m of mounts) expect(m.a).toBe(MS.NOEXEC | MS.NOSUID | MS.NODEV | MS.RDONLY);
    const links = p.ops.filter((o) => o.kind === OpKind.SYMLINK && o.s[1].startsWith('/sys/fs/cgroup/'));
    expect(links.map((o) => o.s[1])).toEqual(['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpuacct']);
  });

  // BUG: a "ro" cgroup mount on a v1 host leaves its tmpfs writable; runc remounts the cgroup root read-only.
  it('on a v1 host a read-only cgroup mount makes each hierarchy read-only and leaves the tmpfs writable (like runc)', () => {
    // runc dropped the remount of the tmpfs itself in 55d5c99c; runc 1.1.5 shows "tmpfs ... rw" there.
    const p = plan(undefined, {}, fakeHost({ cgroup: V1 }));
    expect(p.ops.some((o) => o.kind === OpKind.REMOUNT_RO && o.s[0] === '/sys/fs/cgroup')).toBe(false);
    const mem = p.ops.find((o) => o.s[1] === '/sys/fs/cgroup/memory')!;
    expect(Number(mem.a) & MS.RDONLY || Number(mem.b) & MS.RDONLY).toBeTruthy();
  });
});

describe('specToPlan: process', () => {
  const p = plan();

  it('keeps args and env and adds HOME=/ when neither env nor passwd has one', () => {
    expect(p.process.args).toEqual(['sh']);
    expect(p.process.env).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'TERM=xterm',
      'HOME=/',
    ]);
  });

  it('takes HOME from opts.home only when env has none', () => {
    expect(plan(undefined, { home: '/root' }).process.env).toContain('HOME=/root');
    const own = plan((s) => s.process.env.push('HOME=/srv'), { home: '/root' }).process.env;
    expect(own.filter((e) => e.startsWith('HOME='))).toEqual(['HOME=/srv']);
  });

  it('appends extraEnv', () => {
    const env = plan(undefined, { extraEnv: ['LISTEN_FDS=2', 'LISTEN_PID=1'] }).process.env;
    expect(env.slice(2)).toEqual(['LISTEN_FDS=2', 'LISTEN_PID=1', 'HOME=/']);
  });

  it('lists executable candidates from PATH', () => {
    expect(p.process.exe).toEqual(['/usr/local/sbin/sh', '/usr/local/bin/sh', '/usr/sbin/sh', '/usr/bin/sh', '/sbin/sh', '/bin/sh']);
  });

  it('converts capabilities to bit masks with the host cap_last_cap', () => {
    const mask = (1n << 29n) | (1n << 5n) | (1n << 10n); // AUDIT_WRITE, KILL, NET_BIND_SERVICE
    expect(p.process.caps).toEqual({ bounding: mask, effective: mask, permitted: mask, inheritable: 0n, ambient: mask, last: 40 });
    expect(p.warnings.filter((w) => w.includes('capabilit'))).toEqual([]);
  });

  it('drops unknown capabilities and those above cap_last_cap, naming them in a warning', () => {
    const q = plan((s) => {
      s.process.capabilities = { bounding: ['CAP_CHOWN', 'CAP_CHWON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE'], effective: ['CAP_CHWON'] };
    }, {}, fakeHost({ capLastCap: 38 }));
    expect(q.process.caps!.bounding).toBe(1n << 0n);
    expect(q.process.caps!.effective).toBe(0n);
    expect(q.process.caps!.last).toBe(38);
    expect(q.warnings.filter((w) => w.includes('capabilit'))).toEqual(['ignoring unknown or unavailable capabilities: [CAP_BPF CAP_CHECKPOINT_RESTORE CAP_CHWON]']);
  });

  it('has no caps record when the spec has no capabilities', () => {
    expect(plan((s) => delete s.process.capabilities).process.caps).toBeUndefined();
  });

  it('maps rlimits to resource numbers, 2^64 meaning unlimited', () => {
    const q = plan((s) => {
      s.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
        { type: 'RLIMIT_CORE', soft: 18446744073709551615, hard: 18446744073709551615 },
      ];
    });
    expect(q.process.rlimits).toEqual([
      { resource: 7, soft: 1024n, hard: 4096n, name: 'RLIMIT_NOFILE' },
      { resource: 4, soft: 0xffffffffffffffffn, hard: 0xffffffffffffffffn, name: 'RLIMIT_CORE' },
    ]);
  });

  it('sets NO_NEW_PRIVS, TERMINAL and NEW_KEYRING with the session keyring _ses.<id>', () => {
    const f = p.process.flags;
    expect(f & ProcessFlag.NO_NEW_PRIVS).toBe(ProcessFlag.NO_NEW_PRIVS);
    expect(f & ProcessFlag.TERMINAL).toBe(ProcessFlag.TERMINAL);
    expect(f & ProcessFlag.NEW_KEYRING).toBe(ProcessFlag.NEW_KEYRING);
    expect(f & ProcessFlag.SUBREAPER).toBe(0);
    expect(p.process.keyring).toBe('_ses.c1');
    expect(p.mode).toBe(LaunchMode.DETACHED);
  });

  it('has no keyring and no NEW_KEYRING flag with noNewKeyring', () => {
    const q = plan(undefined, { noNewKeyring: true });
    expect(q.process.keyring).toBeUndefined();
    expect(q.process.flags & ProcessFlag.NEW_KEYRING).toBe(0);
  });

  it('clears NO_NEW_PRIVS and TERMINAL when the spec does not ask for them', () => {
    const q = plan((s) => {
      s.process.noNewPrivileges = false;
      s.process.terminal = false;
    });
    expect(q.process.flags & (ProcessFlag.NO_NEW_PRIVS | ProcessFlag.TERMINAL)).toBe(0);
    expect(q.ops.some((o) => o.kind === OpKind.CONSOLE)).toBe(false);
  });

  it('runs in the foreground as a subreaper', () => {
    const q = plan(undefined, { foreground: true });
    expect(q.mode).toBe(LaunchMode.FOREGROUND);
    expect(q.process.flags & ProcessFlag.SUBREAPER).toBe(ProcessFlag.SUBREAPER);
  });

  it('passes preserveFds, user ids, umask, groups and oomScoreAdj through', () => {
    const q = plan(
      (s) => {
        s.process.user = { uid: 1000, gid: 100, umask: 0o27, additionalGids: [5, 6] };
        s.process.oomScoreAdj = -500;
      },
      { preserveFds: 3 },
    );
    expect(q.process).toMatchObject({ uid: 1000, gid: 100, umask: 0o27, groups: [5, 6], oomScoreAdj: -500, preserveFds: 3 });
    expect(q.fifo).toBe('/run/tsrun/c1/exec.fifo');
  });

  it('uses the console socket and size only with a terminal', () => {
    const withTty = plan((s) => (s.process.consoleSize = { height: 24, width: 80 }), { consoleSocket: '/tmp/console.sock' });
    expect(withTty.consoleSocket).toBe('/tmp/console.sock');
    expect(withTty.consoleSize).toEqual({ rows: 24, cols: 80 });
    const noTty = plan(
      (s) => {
        s.process.terminal = false;
        s.process.consoleSize = { height: 24, width: 80 };
      },
      { consoleSocket: '/tmp/console.sock' },
    );
    expect(noTty.consoleSocket).toBeUndefined();
    expect(noTty.consoleSize).toBeUndefined();
  });
});

describe('exeCandidates', () => {
  it('uses an absolute arg0 as is', () => {
    expect(exeCandidates('/bin/true', ['PATH=/usr/bin'], '/work')).toEqual(['/bin/true']);
  });

  it('resolves a relative arg0 with a slash against the cwd', () => {
    expect(exeCandidates('./run.sh', ['PATH=/usr/bin'], '/app')).toEqual(['/app/run.sh']);
    expect(exeCandidates('bin/x', [], '/app')).toEqual(['/app/bin/x']);
  });

  it('tries each PATH directory in order, the last PATH= winning', () => {
    expect(exeCandidates('ls', ['PATH=/nope', 'PATH=/usr/bin:/bin'], '/')).toEqual(['/usr/bin/ls', '/bin/ls']);
  });

  it('uses the default PATH when env has none', () => {
    expect(exeCandidates('ls', ['TERM=xterm'], '/')).toEqual(DEFAULT_PATH.split(':').map((d) => `${d}/ls`));
  });

  it('treats an empty PATH element as the cwd and drops duplicates', () => {
    expect(exeCandidates('tool', ['PATH=:/bin:/bin:'], '/srv')).toEqual(['/srv/tool', '/bin/tool']);
  });
});

describe('parseMountOptions', () => {
  it('sets flags, and a later clearing option wins', () => {
    const o = parseMountOptions(['ro', 'nosuid', 'nodev', 'rw']);
    expect(o.flags).toBe(MS.NOSUID | MS.NODEV);
    expect(o.cleared).toBe(MS.RDONLY);
  });

  it('a later setting option cancels an earlier clear', () => {
    const o = parseMountOptions(['rw', 'ro']);
    expect(o.flags).toBe(MS.RDONLY);
    expect(o.cleared).toBe(0);
  });

  it('maps bind and rbind', () => {
    expect(parseMountOptions(['bind']).flags).toBe(MS.BIND);
    expect(parseMountOptions(['rbind']).flags).toBe(MS.BIND | MS.REC);
  });

  it('keeps the last propagation option', () => {
    expect(parseMountOptions(['private', 'rslave']).propagation).toBe(MS.SLAVE | MS.REC);
  });

  it('passes unknown options through as data, in order', () => {
    const o = parseMountOptions(['mode=755', 'nosuid', 'size=65536k', 'uid=5']);
    expect(o.data).toEqual(['mode=755', 'size=65536k', 'uid=5']);
    expect(o.flags).toBe(MS.NOSUID);
  });

  it('recognises recursive attributes and idmap, never as data', () => {
    const o = parseMountOptions(['rro', 'rnosuid', 'rnoatime', 'ridmap', 'tmpcopyup']);
    expect(o.recSet).toBe(MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NOATIME);
    expect(o.recClr).toBe(MOUNT_ATTR._ATIME);
    expect(o.idmap).toBe(true);
    expect(o.unsupported).toEqual(['tmpcopyup']);
    expect(o.data).toEqual([]);
    expect(o.flags).toBe(0);
  });

  it('a later recursive clear cancels an earlier set', () => {
    const o = parseMountOptions(['rro', 'rrw']);
    expect(o.recSet).toBe(0);
    expect(o.recClr).toBe(MOUNT_ATTR.RDONLY);
  });

  it('returns nothing set for no options', () => {
    expect(parseMountOptions()).toEqual({ flags: 0, cleared: 0, propagation: 0, data: [], recSet: 0, recClr: 0, unsupported: [] });
  });
});

describe('specToPlan: no mount namespace', () => {
  it('ignores mounts and a read-only root with warnings, and chroots', () => {
    const p = plan((s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== 'mount');
      s.linux.maskedPaths = [];
      s.linux.readonlyPaths = [];
    });
    expect(p.ops.some((o) => o.kind === OpKind.MOUNT || o.kind === OpKind.PIVOT || o.kind === OpKind.REMOUNT_RO)).toBe(false);
    expect(p.ops.map((o) => o.kind).slice(0, 2)).toEqual([OpKind.OPEN_ROOT, OpKind.CHROOT]);
    expect(p.warnings).toContain('mounts are ignored: the container has no mount namespace');
    expect(p.warnings).toContain('root.readonly is ignored: the container has no mount namespace');
  });
});

describe('specToPlan: fields not applied yet', () => {
  it('names every configured field it does not apply, in one warning', () => {
    const p = plan((s) => {
      s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
      s.linux.intelRdt = { closID: 'x' };
      s.hooks = { poststop: [{ path: '/bin/true' }] };
    });
    expect(p.warnings).toContain('not applied by this version of tsrun: linux.intelRdt');
  });

  it('says nothing when nothing is left out', () => {
    const p = plan((s) => {
      delete s.linux.resources;
    });
    expect(p.warnings.filter((w) => w.startsWith('not applied'))).toEqual([]);
  });
});

describe('specToPlan: process attributes', () => {
  it('turns personality, scheduler, I/O priority and LSM labels into kernel values', () => {
    const p = plan((s) => {
      s.linux.personality = { domain: 'LINUX32', flags: ['ADDR_NO_RANDOMIZE', 'NOT_A_FLAG'] };
      s.process.scheduler = { policy: 'SCHED_BATCH', nice: -5, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
      s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 };
      s.process.apparmorProfile = 'tsrun-test';
    }).process;
    expect(p.personality).toBe(0x0008 | 0x0040000);
    expect(p.scheduler).toEqual({ policy: 3, flags: 1, nice: -5, priority: 0, runtime: 0, deadline: 0, period: 0 });
    expect(p.ioPriority).toBe((2 << 13) | 6);
    expect(p.apparmorProfile).toBe('tsrun-test');
  });

  it('warns about an unknown personality flag', () => {
    const p = plan((s) => (s.linux.personality = { domain: 'LINUX', flags: ['NOT_A_FLAG'] }));
    expect(p.warnings).toContain('linux.personality.flags: unknown flag "NOT_A_FLAG" ignored');
  });

  it('adds the SELinux mount label to non-bind mounts only on a SELinux host', () => {
    const labelled = (selinux: boolean) =>
      plan((s) => (s.linux.mountLabel = 'system_u:object_r:container_file_t:s0'), {}, fakeHost({ selinux })).ops.find(
        (o) => o.s[1] === '/dev/shm',
      )!.s[3];
    expect(labelled(true)).toBe('mode=1777,size=65536k,context="system_u:object_r:container_file_t:s0"');
    expect(labelled(false)).toBe('mode=1777,size=65536k');
  });
});

describe('specToPlan: capabilities the runtime cannot grant', () => {
  it('leaves out, with a warning, a capability outside the runtime\'s own bounding set', () => {
    const noSysResource = ((1n << 41n) - 1n) & ~(1n << 24n);
    const p = plan(
      (s) => {
        const caps = ['CAP_KILL', 'CAP_SYS_RESOURCE'];
        s.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
      },
      {},
      fakeHost({ capBounding: noSysResource }),
    );
    expect(p.process.caps!.permitted).toBe(1n << 5n);
    expect(p.warnings).toContain('ignoring unknown or unavailable capabilities: [CAP_SYS_RESOURCE]');
  });
});

describe('what the conversion decides that create used to patch in', () => {
  it("adds the notify socket's mount and variable without touching the caller's spec", () => {
    const s = spec();
    const mountsBefore = JSON.stringify(s.mounts);
    const notify = { mount: { destination: '/run/notify', source: '/run/tsrun/x/notify', type: 'bind', options: ['bind', 'ro'] }, env: 'NOTIFY_SOCKET=/run/notify/notify.sock' };
    const p = specToPlan(s, options({ notify }), fakeHost());
    expect(p.process.env).toContain('NOTIFY_SOCKET=/run/notify/notify.sock');
    expect(p.ops.some((o) => (o.s ?? []).some((x) => String(x).includes('/run/notify')))).toBe(true);
    expect(JSON.stringify(s.mounts)).toBe(mountsBefore);
    expect(s.process!.env ?? []).not.toContain('NOTIFY_SOCKET=/run/notify/notify.sock');
  });

  it('clones the init into the v2 directory only when nobody can see it at birth, and carries the shim', () => {
    const shim = { mode: 1, caller: 1, logMax: 1, flags: 0, dir: '/run/tsrun/x', logDir: '/var/log/tsrun/x', oomFile: '' };
    const seen = plan(undefined, { cgroupV2Dir: '/sys/fs/cgroup/x', shim });
    expect(seen.cgroupDir).toBe('/sys/fs/cgroup/x');
    expect(seen.shim).toEqual(shim);
    // A joined pid namespace: processes there could see the init before its first step.
    const joined = plan((s) => (s.linux.namespaces = [{ type: 'pid', path: '/proc/1/ns/pid' }, { type: 'mount' }]), { cgroupV2Dir: '/sys/fs/cgroup/x' });
    expect(joined.cgroupDir).toBeUndefined();
    expect(plan().cgroupDir).toBeUndefined();
  });
});
