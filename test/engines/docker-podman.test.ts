/**
 * docker (dockerd → containerd → containerd-shim-runc-v2 → runtime) and podman (podman → conmon → runtime)
 * driving the runtime under test through the same scenarios; their command lines agree for all of these.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE, RUNTIME_ROOT_DEFAULT, cgroupsNamed, cli, cliAsync, engines, eventually, hostHasCapSysResource, uniqueName, withTty, type Engine } from './helpers.js';

const V2 = !existsSync('/sys/fs/cgroup/memory');
const scratch = mkdtempSync(join(tmpdir(), 'tsrun-engine-data-'));

describe.each(['docker', 'podman'] as Engine[])('%s with the runtime under test', (engine) => {
  const e = (args: string[], o?: { input?: string; timeout?: number }) => cli(engine, args, o);
  const names: string[] = [];
  const name = (p: string) => {
    const n = uniqueName(`${engine}-${p}`);
    names.push(n);
    return n;
  };
  afterAll(() => {
    for (const n of names) e(['rm', '-f', n]);
  });

  /** A detached container running `script`; returns its name. */
  function detached(script: string, extra: string[] = []): string {
    const n = name('d');
    const r = e(['run', '-d', '--name', n, ...extra, IMAGE, 'sh', '-c', script]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return n;
  }

  it('runs a command: its stdout, stderr and exit code', () => {
    const r = e(['run', '--rm', IMAGE, 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toContain('err');
    expect(r.status).toBe(7);
  });

  it('passes stdin', () => {
    const r = e(['run', '--rm', '-i', IMAGE, 'sh', '-c', 'read l; echo "got $l"'], { input: 'piped\n' });
    expect(r.stdout).toBe('got piped\n');
    expect(r.status).toBe(0);
  });

  it('gives a terminal with -t', () => {
    const r = withTty(engine, ['run', '--rm', '-t', IMAGE, 'sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-tty']);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+\n/);
    expect(r.stdout).toContain('stdin-is-tty');
    expect(r.status).toBe(0);
  });

  it('sets env, workdir, user and hostname', () => {
    const r = e(['run', '--rm', '-e', 'FOO=bar', '-w', '/tmp', '-u', '1000:1000', '-h', 'enginehost', IMAGE, 'sh', '-c', 'echo $FOO; pwd; id -u; id -g; hostname']);
    expect(r.stdout.trim().split('\n')).toEqual(['bar', '/tmp', '1000', '1000', 'enginehost']);
  });

  it('keeps a read-only root read-only', () => {
    const r = e(['run', '--rm', '--read-only', IMAGE, 'sh', '-c', 'touch /x 2>&1; echo done']);
    expect(r.stdout).toMatch(/Read-only file system\ndone\n$/);
  });

  it('binds host directories read-write and read-only', () => {
    const rw = mkdtempSync(join(scratch, 'rw-'));
    const ro = mkdtempSync(join(scratch, 'ro-'));
    writeFileSync(join(ro, 'in.txt'), 'host\n');
    const r = e(['run', '--rm', '-v', `${rw}:/rw`, '-v', `${ro}:/ro:ro`, IMAGE, 'sh', '-c', 'echo written > /rw/out.txt; cat /ro/in.txt; touch /ro/x 2>&1 | grep -c Read-only']);
    expect(r.stdout).toBe('host\n1\n');
    expect(readFileSync(join(rw, 'out.txt'), 'utf8')).toBe('written\n');
    expect(existsSync(join(ro, 'x'))).toBe(false);
  });

  it('mounts a tmpfs with its size', () => {
    const r = e(['run', '--rm', '--tmpfs', '/scratch:size=1m', IMAGE, 'sh', '-c', 'grep " /scratch " /proc/mounts']);
    expect(r.stdout).toMatch(/^tmpfs \/scratch tmpfs rw,.*size=1024k/);
  });

  it('enforces a memory limit: the process over it is OOM-killed', () => {
    const n = name('oom');
    // The pause lets containerd's shim arm its OOM watch after start: an OOM kill before that is never reported
    // (containerd's race, whatever the runtime).
    const r = e(['run', '--name', n, '-m', '16m', '--memory-swap', '16m', IMAGE, 'sh', '-c', 'sleep 2; exec tsrun-test-payload alloc 64']);
    expect(r.stdout).not.toContain('allocated');
    expect(r.status).toBe(137);
    // podman 4.3's conmon does not see this OOM kill on this host with runc either: only docker's flag is checked.
    if (engine === 'docker') expect(e(['inspect', '-f', '{{.State.OOMKilled}}', n]).stdout.trim()).toBe('true');
    // conmon records an OOM kill as a file "oom" in its working directory: never the checkout the tests run from.
    expect(existsSync(join(process.cwd(), 'oom'))).toBe(false);
  });

  it('enforces a pids limit: forking stops there', () => {
    const r = e(['run', '--rm', '--pids-limit', '10', IMAGE, 'sh', '-c', 'sh -c "while :; do sleep 30 & done" 2>/dev/null; set -- /proc/[0-9]*; echo $#']);
    expect(Number(r.stdout.trim())).toBeGreaterThan(5);
    expect(Number(r.stdout.trim())).toBeLessThanOrEqual(10);
  });

  it('applies cpu settings the container can see', () => {
    const script = V2 ? 'cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight' : 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares';
    const r = e(['run', '--rm', '--cpus', '0.5', '--cpu-shares', '512', IMAGE, 'sh', '-c', script]);
    expect(r.stderr).toBe('');
    const [quota, shares] = r.stdout.trim().split('\n');
    expect(quota).toMatch(/^50000/);
    expect(Number(shares)).toBeGreaterThan(0);
    if (!V2) expect(shares).toBe('512');
  });

  it('drops and adds capabilities', () => {
    const r = e(['run', '--rm', '--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN', IMAGE, 'grep', '-E', '^Cap(Eff|Bnd)', '/proc/self/status']);
    expect(r.stdout.replace(/\t/g, ' ')).toBe('CapEff: 0000000000001000\nCapBnd: 0000000000001000\n');
  });

  it('sets no_new_privs with --security-opt no-new-privileges', () => {
    const r = e(['run', '--rm', '--security-opt', 'no-new-privileges', IMAGE, 'grep', 'NoNewPrivs', '/proc/self/status']);
    expect(r.stdout.replace(/\s+/g, ' ').trim()).toBe('NoNewPrivs: 1');
  });

  it('loads the default seccomp profile, and a custom one', () => {
    const def = e(['run', '--rm', IMAGE, 'grep', '^Seccomp:', '/proc/self/status']);
    expect(def.stdout.replace(/\s+/g, ' ').trim()).toBe('Seccomp: 2');
    const profile = join(scratch, `${engine}-seccomp.json`);
    writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
    const custom = e(['run', '--rm', '--security-opt', `seccomp=${profile}`, IMAGE, 'sh', '-c', 'mkdir /newdir 2>&1; echo $?']);
    expect(custom.stdout).toMatch(/Operation not permitted\n1\n$/);
  });

  it('sets ulimits', () => {
    // With --ulimit podman drops its configured defaults and raises RLIMIT_NPROC to the kernel maximum, which
    // no runtime can set without CAP_SYS_RESOURCE: give it an nproc within the caller's limit as well.
    const nproc = engine === 'podman' ? ['--ulimit', 'nproc=4096:8192'] : [];
    const r = e(['run', '--rm', '--ulimit', 'nofile=100:200', ...nproc, IMAGE, 'sh', '-c', 'ulimit -n; ulimit -Hn']);
    expect(r.stdout).toBe('100\n200\n');
  });

  it('adds a device, usable inside', () => {
    const r = e(['run', '--rm', '--device', '/dev/zero:/dev/myzero', IMAGE, 'sh', '-c', 'head -c 3 /dev/myzero | wc -c']);
    expect(r.stdout.trim()).toBe('3');
  });

  it('runs an init as pid 1 with --init', () => {
    const r = e(['run', '--rm', '--init', IMAGE, 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; echo $$']);
    const [init, self] = r.stdout.trim().split('\n');
    expect(init).toMatch(/init|tini|catatonit/);
    expect(Number(self)).toBeGreaterThan(1);
  });

  it('execs into a running container: plain, with a terminal, as another user', () => {
    const n = detached('sleep 1000');
    const plain = e(['exec', n, 'sh', '-c', 'echo in; cat /proc/1/cmdline | tr "\\0" " "; exit 3']);
    expect(plain.stdout).toBe('in\nsleep 1000 ');
    expect(plain.status).toBe(3);
    const tty = withTty(engine, ['exec', '-t', n, 'tty']);
    expect(tty.stdout).toMatch(/^\/dev\/pts\/\d+/m);
    expect(e(['exec', '-u', '1000', n, 'id', '-u']).stdout).toBe('1000\n');
    const missing = e(['exec', n, 'no-such-program']);
    expect(missing.status).not.toBe(0);
    // docker prints the runtime's error on stdout (126), podman on stderr (127): both quote runc's words.
    expect(missing.stdout + missing.stderr).toContain('exec failed: unable to start container process: exec: "no-such-program": executable file not found in $PATH');
    expect(missing.status).toBe(engine === 'docker' ? 126 : 127);
  });

  it('stops a container that handles SIGTERM quickly, with its own exit code', () => {
    const n = detached('trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.1; done');
    const t0 = Date.now();
    expect(e(['stop', '-t', '20', n]).status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(e(['inspect', '-f', '{{.State.ExitCode}}', n]).stdout.trim()).toBe('0');
    expect(e(['logs', n]).stdout).toBe('started\ngot-term\n');
  });

  it('kills a container that ignores SIGTERM after the timeout (137)', () => {
    const n = detached('trap "" TERM; while :; do sleep 0.1; done');
    expect(e(['stop', '-t', '1', n]).status).toBe(0);
    expect(e(['inspect', '-f', '{{.State.ExitCode}}', n]).stdout.trim()).toBe('137');
  });

  it('delivers a signal with kill -s', () => {
    const n = detached('trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done');
    expect(e(['kill', '-s', 'USR1', n]).status).toBe(0);
    expect(eventually(() => e(['logs', n]).stdout, (l) => l.includes('got-usr1'))).toContain('got-usr1');
  });

  it('pauses and unpauses', () => {
    const n = detached('sleep 1000');
    expect(e(['pause', n]).status).toBe(0);
    expect(e(['inspect', '-f', '{{.State.Status}}', n]).stdout.trim()).toBe('paused');
    expect(e(['unpause', n]).status).toBe(0);
    expect(e(['inspect', '-f', '{{.State.Status}}', n]).stdout.trim()).toBe('running');
  });

  it('lists processes with top', () => {
    const n = detached('sleep 1000');
    const r = e(['top', n]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('sleep 1000');
  });

  it('reports stats', () => {
    const n = detached('sleep 1000');
    const r = e(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', n]);
    expect(r.status).toBe(0);
    const [shown, mem, , , pids] = r.stdout.trim().split(/\s+/);
    expect(shown).toBe(n);
    expect(mem).toMatch(/^[1-9][\d.]*[kKMG]i?B$/);
    expect(Number(pids)).toBe(1);
  });

  it('updates limits of a running container', () => {
    const n = detached('sleep 1000', ['-m', '32m', '--memory-swap', '32m']);
    expect(e(['update', '--memory', '64m', '--memory-swap', '64m', n]).status).toBe(0);
    const file = V2 ? '/sys/fs/cgroup/memory.max' : '/sys/fs/cgroup/memory/memory.limit_in_bytes';
    expect(e(['exec', n, 'cat', file]).stdout.trim()).toBe(String(64 * 1024 * 1024));
  });

  it('restarts a container', () => {
    const n = detached('echo started; sleep 1000');
    expect(e(['restart', '-t', '1', n]).status).toBe(0);
    expect(e(['inspect', '-f', '{{.State.Status}}', n]).stdout.trim()).toBe('running');
    expect(eventually(() => e(['logs', n]).stdout, (l) => l === 'started\nstarted\n')).toBe('started\nstarted\n');
  });

  it('keeps the logs of a detached container', () => {
    const n = detached('echo hello; echo world >&2; sleep 1000');
    const r = eventually(() => e(['logs', n]), (o) => o.stdout.includes('hello') && o.stderr.includes('world'));
    expect(r.stdout).toBe('hello\n');
    expect(r.stderr).toBe('world\n');
  });

  it('waits for a container and reports its exit code', () => {
    const n = detached('sleep 1; exit 4');
    const r = e(['wait', n]);
    expect(r.stdout.trim()).toBe('4');
  });

  it('runs 20 containers in parallel', async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => cliAsync(engine, ['run', '--rm', IMAGE, 'sh', '-c', `echo ${i}`])));
    expect(runs.map((r) => r.status)).toEqual(Array(20).fill(0));
    expect(runs.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('--rm leaves no cgroup and no runtime state', () => {
    const cidfile = join(scratch, `${uniqueName(engine)}.cid`);
    const r = e(['run', '--rm', '--cidfile', cidfile, '-m', '32m', IMAGE, 'true']);
    expect(r.status).toBe(0);
    const id = readFileSync(cidfile, 'utf8').trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const root = engine === 'docker' ? join(engines.work, 'docker/exec/runtime-undertest/moby') : RUNTIME_ROOT_DEFAULT;
    // The engine removes the container asynchronously after `run --rm` returns.
    eventually(() => existsSync(join(root, id)) || cgroupsNamed(id).length > 0, (left) => !left);
    expect(existsSync(join(root, id))).toBe(false);
    expect(cgroupsNamed(id)).toEqual([]);
  });

  it.skipIf(!hostHasCapSysResource())('runs --privileged (needs CAP_SYS_RESOURCE in the host bounding set; skipped where it is missing)', () => {
    const r = e(['run', '--rm', '--privileged', IMAGE, 'sh', '-c', 'grep CapEff /proc/self/status']);
    expect(r.status).toBe(0);
  });
});
