import { closeSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native/addon.js';
import { archName } from '../../src/plan/seccomp.js';
import { seccompArchitectures } from '../../src/spec/schema.js';
import { Harness, IS_TSRUN, baseConfig, cgroupLeft, stateDirExists, testCgroupsPath, waitExit } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

function run(config: ReturnType<typeof baseConfig>) {
  const id = h.id('scmp');
  const bundle = h.bundle(config);
  return { ...h.rt(['run', '--bundle', bundle, id]), id, bundle };
}

const ALLOW = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] };

describe('seccomp', () => {
  it('blocks a syscall with EPERM and with a chosen errno', () => {
    const cfg = baseConfig(['sh', '-c', 'mkdir /tmp/a 2>&1; rmdir /tmp 2>&1; echo done']);
    cfg.linux.seccomp = {
      ...ALLOW,
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' },
        { names: ['rmdir', 'unlinkat'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ],
    };
    const r = run(cfg);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/mkdir: can't create directory '\/tmp\/a': Operation not permitted/);
    expect(r.stdout).toMatch(/rmdir: '\/tmp': Function not implemented/);
    expect(r.stdout).toMatch(/done\n$/);
  });

  it('honours argument conditions', () => {
    // kill(2) is refused for SIGUSR1 (10) only: signal 0 still works.
    const cfg = baseConfig(['sh', '-c', 'kill -0 $$ && echo sig0-ok; kill -USR1 $$ 2>/dev/null || echo usr1-refused']);
    cfg.linux.seccomp = {
      ...ALLOW,
      syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 10, op: 'SCMP_CMP_EQ' }] }],
    };
    expect(run(cfg).stdout).toBe('sig0-ok\nusr1-refused\n');
  });

  it('loads the filter without no_new_privs, keeping CAP_SYS_ADMIN only until it is in', () => {
    const cfg = baseConfig(['sh', '-c', 'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status']);
    cfg.process.noNewPrivileges = false;
    cfg.linux.seccomp = { ...ALLOW, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    const r = run(cfg);
    expect(r.stderr).toBe('');
    const f = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/:\s+/)));
    expect(f.Seccomp).toBe('2');
    expect(f.NoNewPrivs).toBe('0');
    expect(BigInt('0x' + f.CapEff) & (1n << 21n)).toBe(0n);
  });

  it('skips syscall names the running libseccomp does not know, like runc', () => {
    const cfg = baseConfig(['sh', '-c', 'mkdir /tmp/b 2>&1 | grep -c "not permitted"']);
    cfg.linux.seccomp = { ...ALLOW, syscalls: [{ names: ['no_such_syscall_xyz', 'mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
    expect(run(cfg).stdout).toBe('1\n');
  });

  it.skipIf(!IS_TSRUN)('caches a compiled filter by content', () => {
    const cfg = baseConfig(['true']);
    cfg.linux.seccomp = { ...ALLOW, syscalls: [{ names: ['acct'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] };
    expect(run(cfg).status).toBe(0);
    const dir = join(h.root, '@cache', 'seccomp');
    const files = readdirSync(dir).filter((f) => f.endsWith('.bpf'));
    expect(files.length).toBeGreaterThan(0);
    expect(run(cfg).status).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.bpf'))).toEqual(files);
  });

  it.skipIf(!IS_TSRUN)('sends the notify fd with the container state to listenerPath, as runc does', () => {
    const addon = native();
    const sock = join(h.work, 'agent.sock');
    const listener = addon.listenUnix(sock);
    const id = h.id('notify');
    const cfg = baseConfig(['sh', '-c', 'mkdir /tmp/n 2> /result; echo "rc=$?" >> /result']);
    cfg.annotations = { 'io.example': 'yes' };
    cfg.linux.seccomp = {
      ...ALLOW,
      listenerPath: sock,
      listenerMetadata: 'agent-metadata',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
    };
    const bundle = h.bundle(cfg);
    const result = join(bundle, 'rootfs', 'result');
    expect(h.rt(['create', '--bundle', bundle, id]).status).toBe(0);
    const pid = h.state(id).pid;
    expect(h.rt(['start', id]).status).toBe(0);
    const conn = addon.accept(listener);
    const { fd, data } = addon.recvFd(conn);
    closeSync(conn);
    closeSync(listener);
    const msg = JSON.parse(data);
    expect(msg).toMatchObject({
      fds: ['seccompFd'],
      pid,
      metadata: 'agent-metadata',
      state: { id, pid, bundle, status: 'creating', annotations: { 'io.example': 'yes' } },
    });
    expect(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')).toContain('flags');
    // No agent answers: once the listener fd is closed, the notified syscall fails with ENOSYS.
    closeSync(fd);
    expect(waitExit(pid)).toBe(true);
    expect(readFileSync(result, 'utf8')).toMatch(/Function not implemented\nrc=1\n$/);
    expect(h.rt(['delete', id]).status).toBe(0);
  });

  it('refuses an architecture the linked libseccomp lacks, naming it and its JSON path, leaving nothing behind', () => {
    const addon = native();
    const lacking = seccompArchitectures.find((a) => !addon.seccompArchKnown(archName(a)));
    if (lacking === undefined) return; // this libseccomp knows every architecture of the runtime-spec
    const id = h.id('scmparch');
    const cfg = baseConfig(['true']);
    cfg.linux.cgroupsPath = testCgroupsPath(id);
    cfg.linux.seccomp = { ...ALLOW, architectures: ['SCMP_ARCH_X86_64', lacking] };
    const r = h.rt(['create', '--bundle', h.bundle(cfg), id]);
    expect(r.status).toBe(1);
    if (IS_TSRUN) {
      expect(r.stderr).toContain(`linux.seccomp.architectures[1]: architecture "${lacking}" is not supported by the linked libseccomp ${addon.seccompVersion()}`);
      expect(r.stderr).not.toContain('invalid argument');
    }
    expect(stateDirExists(h, id)).toBe(false);
    expect(cgroupLeft(id)).toBe(false);
  });

  it.skipIf(!IS_TSRUN)('features lists exactly the seccomp architectures the linked libseccomp can compile', () => {
    const addon = native();
    const listed: string[] = JSON.parse(h.rt(['features']).stdout).linux.seccomp.archs;
    for (const arch of seccompArchitectures) {
      let compiles = true;
      try {
        addon.compileSeccomp(0x7fff0000, [archName(arch)], []);
      } catch (err) {
        compiles = /byte order/.test((err as Error).message); // resolvable, only not in one filter with x86
      }
      expect([arch, listed.includes(arch)]).toEqual([arch, compiles]);
    }
  });
});
