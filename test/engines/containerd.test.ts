/**
 * containerd through ctr: ctr → containerd → containerd-shim-runc-v2 (BinaryName = the runtime under test),
 * the path every containerd-based engine (nerdctl, CRI, dockerd) takes.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE, cgroupsNamed, cli, cliAsync, engines, eventually, uniqueName, withTty } from './helpers.js';

const REF = `docker.io/${IMAGE}`;
const V2 = !existsSync('/sys/fs/cgroup/memory');
const scratch = mkdtempSync(join(tmpdir(), 'tsrun-ctr-data-'));
// The runtime's state root for these containers (ctr --runc-root), to check nothing is left in it.
const runcRoot = join(engines.work, 'ctr-runtime-root');
const RT = ['--runc-binary', engines.runtime, '--runc-root', runcRoot];

const ctr = (args: string[], o?: { input?: string }) => cli('ctr', args, o);
const ids: string[] = [];
const id = (p: string) => {
  const i = uniqueName(`ctr-${p}`);
  ids.push(i);
  return i;
};
afterAll(() => {
  for (const i of ids) {
    ctr(['task', 'kill', '-s', 'KILL', i]);
    ctr(['task', 'rm', '-f', i]);
    ctr(['container', 'rm', i]);
  }
});

/** A detached task; ctr run -d returns once it is started. */
function detached(args: string[], extra: string[] = []): string {
  const i = id('d');
  const r = ctr(['run', '-d', ...RT, ...extra, REF, i, ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return i;
}

describe('containerd (ctr) with the runtime under test', () => {
  it('runs a command: its output and exit code', () => {
    const r = ctr(['run', '--rm', ...RT, REF, id('run'), 'sh', '-c', 'echo out; exit 5']);
    expect(r.stdout).toBe('out\n');
    expect(r.status).toBe(5);
  });

  it('passes stdin', () => {
    const r = ctr(['run', '--rm', ...RT, REF, id('stdin'), 'sh', '-c', 'read l; echo "got $l"'], { input: 'piped\n' });
    expect(r.stdout).toBe('got piped\n');
  });

  it('gives a terminal with -t', () => {
    const r = withTty('ctr', ['run', '--rm', '-t', ...RT, REF, id('tty'), 'tty']);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.status).toBe(0);
  });

  it('sets env and cwd, binds a directory read-only, keeps a read-only root', () => {
    const dir = mkdtempSync(join(scratch, 'bind-'));
    writeFileSync(join(dir, 'f'), 'host\n');
    const r = ctr([
      'run', '--rm', ...RT, '--env', 'FOO=bar', '--cwd', '/tmp', '--read-only',
      '--mount', `type=bind,src=${dir},dst=/data,options=rbind:ro`,
      REF, id('env'), 'sh', '-c', 'echo $FOO; pwd; cat /data/f; touch /data/x 2>&1 | grep -c Read-only; touch /y 2>&1 | grep -c Read-only',
    ]);
    expect(r.stdout.trim().split('\n')).toEqual(['bar', '/tmp', 'host', '1', '1']);
  });

  it('enforces a memory limit, with the container in its cgroup', () => {
    const cg = `/tsrun-ctr/${uniqueName('mem')}`;
    const r = ctr(['run', '--rm', ...RT, '--memory-limit', String(16 * 1024 * 1024), '--cgroup', cg, REF, id('oom'), 'tsrun-test-payload', 'alloc', '64']);
    expect(r.stdout).not.toContain('allocated');
    expect(r.status).toBe(137);
  });

  it('applies cpu and capability settings', () => {
    const script = V2 ? 'cat /proc/self/cgroup; grep CapBnd /proc/self/status' : 'grep CapBnd /proc/self/status';
    const r = ctr(['run', '--rm', ...RT, '--cap-drop', 'CAP_NET_RAW', '--cpus', '0.5', REF, id('cpu'), 'sh', '-c', script]);
    const bnd = BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(r.stdout)![1]}`);
    expect(bnd & (1n << 13n)).toBe(0n); // CAP_NET_RAW dropped
    expect(bnd & 1n).toBe(1n); // CAP_CHOWN kept
  });

  it('loads the default seccomp profile, and a custom one', () => {
    const def = ctr(['run', '--rm', ...RT, '--seccomp', REF, id('sc'), 'grep', '^Seccomp:', '/proc/self/status']);
    expect(def.stdout.replace(/\s+/g, ' ').trim()).toBe('Seccomp: 2');
    const profile = join(scratch, 'ctr-seccomp.json');
    writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
    const custom = ctr(['run', '--rm', ...RT, '--seccomp', '--seccomp-profile', profile, REF, id('sc2'), 'sh', '-c', 'mkdir /newdir 2>&1']);
    expect(custom.stdout).toContain('Operation not permitted');
  });

  it('execs into a task: plain, as another user, with a terminal', () => {
    const t = detached(['sleep', '1000']);
    const plain = ctr(['task', 'exec', '--exec-id', 'e1', t, 'sh', '-c', 'echo exec; exit 2']);
    expect(plain.stdout).toBe('exec\n');
    expect(plain.status).toBe(2);
    expect(ctr(['task', 'exec', '--exec-id', 'e2', '--user', '1000', t, 'id', '-u']).stdout).toBe('1000\n');
    const tty = withTty('ctr', ['task', 'exec', '-t', '--exec-id', 'e3', t, 'tty']);
    expect(tty.stdout).toMatch(/\/dev\/pts\/\d+/);
  });

  it('lists processes, pauses, resumes, reports metrics and kills', () => {
    const t = detached(['sleep', '1000']);
    const ps = ctr(['task', 'ps', t]);
    expect(ps.stdout.trim().split('\n')).toHaveLength(2);
    expect(ctr(['task', 'pause', t]).status).toBe(0);
    expect(ctr(['task', 'ls']).stdout).toMatch(new RegExp(`${t}\\s+\\d+\\s+PAUSED`));
    expect(ctr(['task', 'resume', t]).status).toBe(0);
    expect(ctr(['task', 'ls']).stdout).toMatch(new RegExp(`${t}\\s+\\d+\\s+RUNNING`));
    const metrics = ctr(['task', 'metrics', '--format', 'json', t]);
    expect(metrics.status).toBe(0);
    expect(metrics.stdout).toMatch(/memory|Memory/);
    expect(ctr(['task', 'kill', '-s', 'KILL', t]).status).toBe(0);
    expect(eventually(() => ctr(['task', 'ls']).stdout, (o) => new RegExp(`${t}\\s+\\d+\\s+STOPPED`).test(o))).toMatch(/STOPPED/);
    expect(ctr(['task', 'rm', t]).status).toBe(0);
    expect(ctr(['container', 'rm', t]).status).toBe(0);
  });

  it('stops with SIGTERM a task that handles it', () => {
    const t = detached(['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done']);
    expect(ctr(['task', 'kill', t]).status).toBe(0);
    expect(eventually(() => ctr(['task', 'ls']).stdout, (o) => new RegExp(`${t}\\s+\\d+\\s+STOPPED`).test(o))).toMatch(/STOPPED/);
    const rm = ctr(['task', 'rm', t]);
    expect(rm.stderr).not.toContain('non-zero exit code');
  });

  it('runs 20 tasks in parallel', async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => cliAsync('ctr', ['run', '--rm', ...RT, REF, id('par'), 'sh', '-c', `echo ${i}`])));
    expect(runs.map((r) => r.status)).toEqual(Array(20).fill(0));
    expect(runs.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('--rm leaves no cgroup and no runtime state', () => {
    const t = id('rm');
    const cg = `/tsrun-ctr/${t}`;
    expect(ctr(['run', '--rm', ...RT, '--memory-limit', String(32 * 1024 * 1024), '--cgroup', cg, REF, t, 'true']).status).toBe(0);
    expect(existsSync(join(runcRoot, 'default', t))).toBe(false);
    expect(cgroupsNamed(t)).toEqual([]);
    // Nothing else of this task anywhere in the runtime root either.
    const left = existsSync(join(runcRoot, 'default')) ? readdirSync(join(runcRoot, 'default')).filter((e) => e === t) : [];
    expect(left).toEqual([]);
  });
});
