import { describe, expect, it } from 'vitest';
import { LaunchMode, OpKind, ProcessFlag } from '../../src/native/contract.js';
import type { HostFacts } from '../../src/plan/host.js';
import { execToPlan, type ExecTarget } from '../../src/plan/specconv.js';
import type { Spec } from '../../src/spec/schema.js';

const host: HostFacts = {
  capLastCap: 40,
  capBounding: (1n << 41n) - 1n,
  hasKcore: true,
  apparmorEnabled: false,
  selinuxEnabled: false,
  cgroup: { v1: [], v2: { mountpoint: '/sys/fs/cgroup', path: '/sys/fs/cgroup' }, hybrid: false },
  pathKind: () => 'missing',
};

const target: ExecTarget = {
  id: 'c1',
  bundle: '/b',
  joins: [
    { type: 0x10000000, path: '/proc/42/ns/user', name: 'user' },
    { type: 0x20000000, path: '/proc/42/ns/pid', name: 'pid' },
    { type: 0x00020000, path: '/proc/42/ns/mnt', name: 'mount' },
  ],
  root: '/proc/42/root',
  setgroups: true,
  noNewKeyring: false,
};

function spec(process: Partial<NonNullable<Spec['process']>>): Spec {
  return { ociVersion: '1.2.0', process: { cwd: '/', args: ['sh'], env: ['PATH=/bin'], ...process } } as Spec;
}

describe('execToPlan', () => {
  it('joins the given namespaces in order, makes none, enters the container root, and is never cloned into a cgroup', () => {
    const p = execToPlan(spec({}), target, { detach: true, preserveFds: 0 }, host);
    expect(p.joins).toEqual(target.joins);
    expect(p.nsNew).toBe(0);
    expect(p.uidMaps).toEqual([]);
    expect(p.fifo).toBe('');
    expect(p.execRoot).toBe('/proc/42/root');
    // Born outside (Node moves it while it waits): CLONE_INTO_CGROUP would give it a host directory fd.
    expect(p.cgroupDir).toBeUndefined();
    expect(p.ops.map((o) => o.kind)).toEqual([OpKind.CHROOT]);
    expect(p.hooks).toEqual([]);
    expect(p.mode).toBe(LaunchMode.DETACHED);
    expect(p.process.flags & ProcessFlag.EXEC).toBe(ProcessFlag.EXEC);
    expect(p.process.flags & (ProcessFlag.SUBREAPER | ProcessFlag.NEW_CGROUPNS)).toBe(0);
    expect(p.process.keyring).toBe('_ses.c1');
  });

  it('allocates the terminal from the container devpts without binding /dev/console', () => {
    const p = execToPlan(spec({ terminal: true, consoleSize: { height: 10, width: 20 } }), target, { detach: false, preserveFds: 0 }, host);
    expect(p.mode).toBe(LaunchMode.FOREGROUND);
    const con = p.ops.find((o) => o.kind === OpKind.CONSOLE)!;
    expect(con.s).toEqual(['/dev/ptmx', '', '', '']);
    expect(p.consoleSize).toEqual({ rows: 10, cols: 20 });
    expect(p.process.flags & ProcessFlag.TERMINAL).toBe(ProcessFlag.TERMINAL);
  });

  it('keeps setgroups off where the user namespace denies it, and the keyring off with --no-new-keyring', () => {
    const p = execToPlan(spec({ user: { uid: 5, gid: 6, additionalGids: [7] } }), { ...target, setgroups: false, noNewKeyring: true }, { detach: true, preserveFds: 2 }, host);
    expect(p.process.flags & ProcessFlag.SETGROUPS).toBe(0);
    expect(p.process.flags & ProcessFlag.NEW_KEYRING).toBe(0);
    expect(p.process.uid).toBe(5);
    expect(p.process.gid).toBe(6);
    expect(p.process.groups).toEqual([7]);
    expect(p.process.preserveFds).toBe(2);
  });

  it('adds HOME from the passwd lookup, and resolves the program over the process PATH', () => {
    const p = execToPlan(spec({ args: ['ls'], env: ['PATH=/usr/bin:/bin'] }), target, { detach: true, preserveFds: 0, home: '/root' }, host);
    expect(p.process.env).toEqual(['PATH=/usr/bin:/bin', 'HOME=/root']);
    expect(p.process.exe).toEqual(['/usr/bin/ls', '/bin/ls']);
  });

  it('carries the seccomp program and the notify listener with the running state', () => {
    const s = spec({});
    s.linux = { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', listenerMetadata: 'm' } } as Spec['linux'];
    const program = Buffer.alloc(16);
    const p = execToPlan(s, target, { detach: true, preserveFds: 0, seccomp: { program, flags: 8 } }, host);
    expect(p.process.seccomp).toEqual({ program, flags: 8 });
    expect(p.seccompListener?.path).toBe('/run/agent.sock');
    expect(p.seccompListener?.payload[1]).toContain('"status":"running"');
  });
});
