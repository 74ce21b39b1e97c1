import { describe, expect, it } from 'vitest';
import { SysError, TsrunError } from '../../src/errors.js';
import { OpKind, Step } from '../../src/native/contract.js';
import type { Plan, PlanOp } from '../../src/plan/plan.js';
import { describeInitDeath, describeInitError } from '../../src/runtime/init-error.js';

const ENOENT_ = 2;

const EPERM = 1;
const ENOENT = 2;
const EACCES = 13;
const ENOEXEC = 8;

function op(kind: number, what: string): PlanOp {
  return { kind, flags: 0, a: 0, b: 0, c: 0, d: 0, s: ['', '', '', ''], what };
}

function plan(args: string[] = ['foo'], over: Partial<Plan['process']> = {}): Plan {
  return {
    mode: 0,
    nsNew: 0,
    joins: [
      { type: 0x10000000, path: '/proc/7/ns/user', name: 'user' },
      { type: 0x40000000, path: '/proc/7/ns/net', name: 'network' },
    ],
    uidMaps: [],
    gidMaps: [],
    setgroupsDeny: false,
    hooks: [],
    hookStates: [],
    idmapMounts: [],
    fifo: '/run/tsrun/c1/exec.fifo',
    ops: [op(OpKind.MOUNT, 'mount "proc" on "/proc"'), op(OpKind.REMOUNT_RO, 'remount "/" read-only'), op(OpKind.MOUNT, 'mount "/src" on "/dst"')],
    process: {
      args,
      env: [],
      exe: args[0]!.includes('/') ? [args[0]!] : [`/usr/bin/${args[0]}`, `/bin/${args[0]}`],
      cwd: '/x',
      uid: 1000,
      gid: 1000,
      groups: [],
      rlimits: [{ resource: 7, soft: 1n, hard: 1n, name: 'RLIMIT_NOFILE' }],
      flags: 0,
      preserveFds: 0,
      ...over,
    },
    warnings: [],
  };
}

describe('describeInitError', () => {
  it('a refused id map: what an ordinary user may map, and what newuidmap needs', () => {
    const mine = { ...plan(), idMapTools: { newuidmap: '', newgidmap: '' } };
    expect(describeInitError(mine, Step.UID_MAP, EPERM, -1).message).toBe(
      'write uid_map: operation not permitted (an ordinary user may map only their own uid; for more, install newuidmap (package uidmap) and give the user subordinate ids in /etc/subuid)',
    );
    const tool = { ...plan(), idMapTools: { newuidmap: '/usr/bin/newuidmap', newgidmap: '/usr/bin/newgidmap' } };
    expect(describeInitError(tool, Step.GID_MAP, EPERM, -1).message).toBe(
      'write gid_map: /usr/bin/newgidmap refused linux.gidMappings (see its message above; the user\'s subordinate ids are in /etc/subgid)',
    );
    expect(describeInitError(plan(), Step.UID_MAP, EPERM, -1).message).toBe('write uid_map: operation not permitted');
  });

  it('oom_score_adj below the current value, and a sysctl the namespaces do not own: what to do', () => {
    const e = describeInitError(plan(['x'], { oomScoreAdj: -999 }), Step.OOM_SCORE_ADJ, EACCES, -1);
    expect(e.message).toMatch(/^set oom_score_adj to -999: permission denied \(below the current value -?\d+ only with CAP_SYS_RESOURCE, which a rootless container lacks: leave process.oomScoreAdj out or raise it\)$/);
    const sysctl = { ...plan(), ops: [op(OpKind.SYSCTL, 'write sysctl "kernel.shmmax"')] };
    expect(describeInitError(sysctl, Step.OP_SYSCTL, EACCES, 0).message).toBe(
      'write sysctl "kernel.shmmax": permission denied (only sysctls of namespaces the container owns can be set; in a user namespace, no others)',
    );
  });

  it('says the launcher could not seal its own executable', () => {
    const e = describeInitError(plan(), Step.SELF_EXE, 38, -1);
    expect(e).toBeInstanceOf(SysError);
    expect(e.message).toBe('container launcher: run from a sealed copy of its own executable (CVE-2019-5736): function not implemented');
  });

  it('names the failing op by its `what` and ends with Go errno text', () => {
    const e = describeInitError(plan(), Step.OP_MOUNT, EPERM, 0);
    expect(e).toBeInstanceOf(SysError);
    expect(e.message).toBe('mount "proc" on "/proc": operation not permitted');
    expect((e as SysError).code).toBe('EPERM');
    expect((e as SysError).errno).toBe(EPERM);
  });

  it('says which part of an op failed', () => {
    expect(describeInitError(plan(), Step.OP_MKDIR, EACCES, 2).message).toBe(
      'mount "/src" on "/dst": create mount point: permission denied',
    );
    expect(describeInitError(plan(), Step.OP_REMOUNT, EPERM, 2).message).toBe(
      'mount "/src" on "/dst": remount with its options: operation not permitted',
    );
    expect(describeInitError(plan(), Step.OP_REMOUNT, EPERM, 1).message).toBe('remount "/" read-only: operation not permitted');
    expect(describeInitError(plan(), Step.OP_SOURCE, ENOENT, 2).message).toBe(
      'mount "/src" on "/dst": open source: no such file or directory',
    );
  });

  it('names /dev/null, /dev/console and /dev/ptmx when the container\'s own files are refused', () => {
    const p = plan();
    p.ops.push(op(OpKind.MASK, 'mask "/proc/kcore"'), op(OpKind.CONSOLE, 'set up the console'));
    expect(describeInitError(p, Step.OP_NULL_DEVICE, 0, 3).message).toBe(
      'mask "/proc/kcore": /dev/null is not the null device (character device 1:3)',
    );
    expect(describeInitError(p, Step.OP_NULL_DEVICE, ENOENT, 3).message).toBe('mask "/proc/kcore": open /dev/null: no such file or directory');
    expect(describeInitError(p, Step.OP_CONSOLE_TARGET, 40, 4).message).toBe(
      'set up the console: /dev/console is a symbolic link or lies under one: refused',
    );
    expect(describeInitError(p, Step.OP_CONSOLE_TARGET, 0, 4).message).toBe(
      'set up the console: /dev/console is neither a regular file nor a character device',
    );
    expect(describeInitError(p, Step.OP_PTMX, 0, 4).message).toBe('set up the console: /dev/ptmx is not a pty master (devpts)');
  });

  it('names exec.fifo, not its directory, and says why its reopening was refused', () => {
    expect(describeInitError(plan(), Step.FIFO, ENOENT, -1).message).toBe('open exec fifo "/run/tsrun/c1/exec.fifo": no such file or directory');
    expect(describeInitError(plan(), Step.FIFO_REOPEN, 0, 1).message).toBe("reopen exec fifo: the container's /proc is not a procfs");
    expect(describeInitError(plan(), Step.FIFO_REOPEN, 0, 2).message).toBe('reopen exec fifo: /proc/self/fd of the container does not lead to it');
    expect(describeInitError(plan(), Step.FIFO_REOPEN, 18, 0).message).toBe("reopen exec fifo through the container's /proc/self/fd: invalid cross-device link");
    expect(describeInitError(plan(), Step.USERNS, EPERM, -1).message).toBe('create the user namespace: operation not permitted');
  });

  it('falls back to the step index for an op index out of range', () => {
    expect(describeInitError(plan(), Step.OP_MOUNT, ENOENT, 99).message).toBe('step 99: no such file or directory');
  });

  it('reports a bare executable name missing from PATH like Go exec.LookPath', () => {
    const e = describeInitError(plan(['foo']), Step.EXEC_LOOKUP, ENOENT, -1);
    expect(e.message).toBe('exec: "foo": executable file not found in $PATH');
  });

  it('reports a non-executable file as permission denied', () => {
    expect(describeInitError(plan(['foo']), Step.EXEC_LOOKUP, EACCES, -1).message).toBe('exec: "foo": permission denied');
    expect(describeInitError(plan(['/bin/foo']), Step.EXEC_LOOKUP, EACCES, -1).message).toBe('exec: "/bin/foo": permission denied');
  });

  it('reports a missing absolute path with the stat error', () => {
    expect(describeInitError(plan(['/bin/nope']), Step.EXEC_LOOKUP, ENOENT, -1).message).toBe(
      'exec: "/bin/nope": stat /bin/nope: no such file or directory',
    );
  });

  it('reports another lookup error of a bare name with the first candidate', () => {
    expect(describeInitError(plan(['foo']), Step.EXEC_LOOKUP, ENOEXEC, -1).message).toBe(
      'exec: "foo": stat /usr/bin/foo: exec format error',
    );
  });

  it('words a failed chdir like runc', () => {
    expect(describeInitError(plan(), Step.CHDIR, ENOENT, -1).message).toBe(
      'chdir to cwd ("/x") set in config.json failed: no such file or directory',
    );
  });

  it('names the namespace and path of a failed setns', () => {
    expect(describeInitError(plan(), Step.SETNS, EPERM, 1).message).toBe(
      'join network namespace "/proc/7/ns/net": operation not permitted',
    );
  });

  it('reports an init that died during setup (a DIED message) with its wait status, not an errno', () => {
    const killed = describeInitDeath(plan(), Step.CLONE, 9, -1);
    expect(killed).toBeInstanceOf(TsrunError);
    expect(killed).not.toBeInstanceOf(SysError);
    expect(killed.message).toBe('container init died during setup (signal 9)');
    expect(describeInitDeath(plan(), Step.CLONE, 3 << 8, -1).message).toBe('container init died during setup (exit status 3)');
  });

  it("keeps ERROR's fields one meaning: an errno is an errno, a hook's wait status comes as DIED", () => {
    const hooks = plan();
    hooks.hooks = [{ phase: 2, path: '/bin/h', args: [], env: [], timeout: 3 }];
    expect(describeInitError(hooks, Step.HOOK, ENOENT_, 0).message).toBe('createContainer hook #0 (/bin/h): no such file or directory');
    expect(describeInitError(hooks, Step.HOOK, 110, 0).message).toBe('createContainer hook #0 (/bin/h): ran past its timeout of 3s');
    expect(describeInitDeath(hooks, Step.HOOK, 2 << 8, 0).message).toBe('createContainer hook #0 (/bin/h): exit status 2');
    expect(describeInitDeath(hooks, Step.HOOK, 9, 0).message).toBe('createContainer hook #0 (/bin/h): killed by signal 9');
  });

  it('reports a failed clone with its errno', () => {
    expect(describeInitError(plan(), Step.CLONE, EPERM, -1).message).toBe('clone the container init: operation not permitted');
  });

  it('names the rlimit and the ids in process steps', () => {
    expect(describeInitError(plan(), Step.RLIMIT, EPERM, 0).message).toBe('set rlimit RLIMIT_NOFILE: operation not permitted');
    expect(describeInitError(plan(), Step.SETUID, EPERM, -1).message).toBe('setuid 1000: operation not permitted');
  });

  it('uses "errno N" for an errno without a known text', () => {
    expect(describeInitError(plan(), Step.SECCOMP, 4095, -1).message).toBe('load seccomp filter: errno 4095');
  });
});
