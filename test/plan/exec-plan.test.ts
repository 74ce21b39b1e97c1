import { describe, expect, it } from 'vitest';
import { LaunchMode, OpKind, ProcessFlag } from '../../src/native/contract.js';
import { specToPlan } from '../../src/plan/create-plan.js';
import { execConfigFromLegacy, execConfigOf, type ExecConfig } from '../../src/plan/exec-config.js';
import { execOverrides, execPlan, type ExecInput, type ExecTarget } from '../../src/plan/exec-plan.js';
import type { HostFacts } from '../../src/plan/host.js';
import { capabilities, rlimits } from '../../src/plan/tables.js';
import { defaultSpec } from '../../src/spec/default-spec.js';
import { parseSpec } from '../../src/spec/load.js';
import type { SpecProcess } from '../../src/spec/schema.js';

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
  identity: { ociVersion: '1.2.0', id: 'c1', bundle: '/b' },
  joins: [
    { type: 0x10000000, path: '/proc/42/ns/user', name: 'user' },
    { type: 0x20000000, path: '/proc/42/ns/pid', name: 'pid' },
    { type: 0x00020000, path: '/proc/42/ns/mnt', name: 'mount' },
  ],
  root: '/proc/42/root',
  setgroups: true,
};

const none: ExecConfig = { rlimits: [], noNewKeyring: false };

function input(o: Partial<Omit<ExecInput, 'options'>> & { options?: Partial<ExecInput['options']> } = {}): ExecInput {
  return { config: o.config ?? none, target: o.target ?? target, options: { detach: true, preserveFds: 0, ...o.options } };
}

function proc(p: Partial<SpecProcess>): SpecProcess {
  return { cwd: '/', args: ['sh'], env: ['PATH=/bin'], ...p } as SpecProcess;
}

const bit = (name: string) => 1n << BigInt(capabilities[name]!);

/** The stored config as it comes back from state.json. */
const stored = (c: ExecConfig): ExecConfig => JSON.parse(JSON.stringify(c)) as ExecConfig;

describe('execPlan', () => {
  it('joins the given namespaces in order, makes none, enters the container root, and is never cloned into a cgroup', () => {
    const p = execPlan(input(), execOverrides(proc({}), host));
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
    const p = execPlan(input({ options: { detach: false } }), execOverrides(proc({ terminal: true, consoleSize: { height: 10, width: 20 } }), host));
    expect(p.mode).toBe(LaunchMode.FOREGROUND);
    const con = p.ops.find((o) => o.kind === OpKind.CONSOLE)!;
    expect(con.s).toEqual(['/dev/ptmx', '', '', '']);
    expect(p.consoleSize).toEqual({ rows: 10, cols: 20 });
    expect(p.process.flags & ProcessFlag.TERMINAL).toBe(ProcessFlag.TERMINAL);
  });

  it('keeps setgroups off where the user namespace denies it, and the keyring off with --no-new-keyring', () => {
    const p = execPlan(
      input({ target: { ...target, setgroups: false }, config: { ...none, noNewKeyring: true }, options: { preserveFds: 2 } }),
      execOverrides(proc({ user: { uid: 5, gid: 6, additionalGids: [7] } }), host),
    );
    expect(p.process.flags & ProcessFlag.SETGROUPS).toBe(0);
    expect(p.process.flags & ProcessFlag.NEW_KEYRING).toBe(0);
    expect(p.process.keyring).toBeUndefined();
    expect(p.process.uid).toBe(5);
    expect(p.process.gid).toBe(6);
    expect(p.process.groups).toEqual([7]);
    expect(p.process.preserveFds).toBe(2);
  });

  it('adds HOME from the passwd lookup, and resolves the program over the process PATH', () => {
    const p = execPlan(input({ options: { home: '/root' } }), execOverrides(proc({ args: ['ls'], env: ['PATH=/usr/bin:/bin'] }), host));
    expect(p.process.env).toEqual(['PATH=/usr/bin:/bin', 'HOME=/root']);
    expect(p.process.exe).toEqual(['/usr/bin/ls', '/bin/ls']);
  });

  it('carries the seccomp program and the notify listener with the running state, in runc\'s payload', () => {
    const config: ExecConfig = { ...none, seccomp: { file: 'seccomp.bpf', flags: 8, listener: { path: '/run/agent.sock', metadata: 'm' } } };
    const program = Buffer.alloc(16);
    const p = execPlan(
      input({ config, target: { ...target, identity: { ...target.identity, annotations: { a: 'b' } } }, options: { seccompProgram: program } }),
      execOverrides(proc({}), host),
    );
    expect(p.process.seccomp).toEqual({ program, flags: 8 });
    expect(p.seccompListener?.path).toBe('/run/agent.sock');
    expect(p.seccompListener?.payload.join('7')).toBe(
      '{"ociVersion":"1.2.0","fds":["seccompFd"],"pid":7,"metadata":"m","state":{"ociVersion":"1.2.0","id":"c1","status":"running","pid":7,"bundle":"/b","annotations":{"a":"b"}}}',
    );
    // No program, no filter and no agent.
    expect(execPlan(input({ config }), execOverrides(proc({}), host)).seccompListener).toBeUndefined();
  });

  it("takes the container's capabilities, rlimits, LSM labels and personality where the process names none; no_new_privs is its own", () => {
    const config: ExecConfig = stored({
      caps: { bounding: '0x20', effective: '0x20', permitted: '0x20', inheritable: '0x0', ambient: '0x0', last: 40 },
      rlimits: [{ resource: 7, soft: '18446744073709551615', hard: '18446744073709551615', name: 'RLIMIT_NOFILE' }],
      apparmorProfile: 'p',
      selinuxLabel: 'l',
      personality: 8,
      noNewKeyring: false,
    });
    const p = execPlan(input({ config }), execOverrides(proc({}), host)).process;
    expect(p.caps).toEqual({ bounding: 0x20n, effective: 0x20n, permitted: 0x20n, inheritable: 0n, ambient: 0n, last: 40 });
    expect(p.rlimits).toEqual([{ resource: 7, soft: (1n << 64n) - 1n, hard: (1n << 64n) - 1n, name: 'RLIMIT_NOFILE' }]);
    expect(p.apparmorProfile).toBe('p');
    expect(p.selinuxLabel).toBe('l');
    expect(p.personality).toBe(8);
    expect(p.flags & ProcessFlag.NO_NEW_PRIVS).toBe(0);

    const own = execPlan(
      input({ config }),
      execOverrides(
        proc({
          capabilities: { bounding: [] },
          rlimits: [{ type: 'RLIMIT_CORE', soft: 0, hard: 0 }],
          apparmorProfile: 'q',
          selinuxLabel: 'm',
          noNewPrivileges: true,
        }),
        host,
      ),
    ).process;
    expect(own.caps).toEqual({ bounding: 0n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n, last: 40 });
    expect(own.rlimits).toEqual([{ resource: rlimits.RLIMIT_CORE, soft: 0n, hard: 0n, name: 'RLIMIT_CORE' }]);
    expect(own.apparmorProfile).toBe('q');
    expect(own.selinuxLabel).toBe('m');
    expect(own.flags & ProcessFlag.NO_NEW_PRIVS).toBe(ProcessFlag.NO_NEW_PRIVS);
  });

  it('warns about capabilities it leaves out, as create does', () => {
    const p = execPlan(input(), execOverrides(proc({ capabilities: { bounding: ['CAP_NOPE', 'CAP_KILL'] } }), host));
    expect(p.warnings).toEqual(['ignoring unknown or unavailable capabilities: [CAP_NOPE]']);
    expect(p.process.caps?.bounding).toBe(bit('CAP_KILL'));
  });
});

describe('execConfigOf (stored by create)', () => {
  it("keeps the init's kernel settings, and exec gets them back unchanged through state.json", () => {
    const spec = parseSpec(defaultSpec());
    spec.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2 ** 64, hard: 1024 }];
    spec.process!.apparmorProfile = 'prof';
    spec.linux!.personality = { domain: 'LINUX32' };
    const opts = { id: 'c1', bundle: '/b', fifo: '/f', foreground: false, noPivot: false, noNewKeyring: false, preserveFds: 0 };
    const init = specToPlan(spec, opts, host).process;
    const config = stored(execConfigOf(init, false));
    expect(config.caps?.bounding).toBe(`0x${init.caps!.bounding.toString(16)}`);
    expect(config.rlimits).toEqual([{ resource: rlimits.RLIMIT_NOFILE, soft: '18446744073709551615', hard: '1024', name: 'RLIMIT_NOFILE' }]);
    const p = execPlan(input({ config }), execOverrides(proc({}), host)).process;
    expect(p.caps).toEqual(init.caps);
    expect(p.rlimits).toEqual(init.rlimits);
    expect(p.apparmorProfile).toBe('prof');
    expect(p.personality).toBe(init.personality);
  });

  it("converts the `exec` record of containers made before execConfig, by name, as exec did then", () => {
    const warnings: string[] = [];
    const config = execConfigFromLegacy(
      {
        capabilities: { bounding: ['CAP_KILL', 'CAP_NOPE'], effective: ['CAP_KILL'] },
        rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 2 }],
        apparmorProfile: 'p',
        noNewKeyring: true,
        seccomp: { file: 'seccomp.bpf', flags: 4, listener: { path: '/s' } },
      },
      host,
      warnings,
    );
    expect(warnings).toEqual(['ignoring unknown or unavailable capabilities: [CAP_NOPE]']);
    const p = execPlan(input({ config, options: { seccompProgram: Buffer.alloc(8) } }), execOverrides(proc({}), host));
    expect(p.process.caps).toMatchObject({ bounding: bit('CAP_KILL'), effective: bit('CAP_KILL'), permitted: 0n });
    expect(p.process.rlimits).toEqual([{ resource: rlimits.RLIMIT_NOFILE, soft: 1n, hard: 2n, name: 'RLIMIT_NOFILE' }]);
    expect(p.process.apparmorProfile).toBe('p');
    expect(p.process.keyring).toBeUndefined();
    expect(p.process.seccomp?.flags).toBe(4);
    expect(p.seccompListener?.payload[1]).toContain('"metadata":""');
    // A state without either record: nothing inherited.
    expect(execConfigFromLegacy(undefined, host, [])).toEqual({ rlimits: [], noNewKeyring: false });
  });
});
