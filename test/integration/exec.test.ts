import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native/addon.js';
import { Harness, IS_TSRUN, RUNTIME, baseConfig, pidAlive, waitExit, waitFor, type Config } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

/** A running container (sleeping init) for exec to join. */
function running(cfg: Config = baseConfig(['sleep', '1000'])) {
  const id = h.id('ex');
  const bundle = h.bundle(cfg);
  const r = h.rt(['run', '-d', '--bundle', bundle, id]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return { id, bundle, pid: h.state(id).pid };
}

function statusField(pid: number, name: string): string {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ?? '';
}

describe('exec joins the container', () => {
  const c = running();
  afterAll(() => h.rt(['delete', '--force', c.id]));

  it('enters every namespace of the init, its cgroups and its root', () => {
    const d = h.rt(['exec', '-d', '--pid-file', join(h.work, 'ns.pid'), c.id, 'sleep', '30']);
    expect(d.stderr).toBe('');
    expect(d.status).toBe(0);
    const pid = Number(readFileSync(join(h.work, 'ns.pid'), 'utf8'));
    for (const ns of ['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup'])
      expect(readlinkSync(`/proc/${pid}/ns/${ns}`), ns).toBe(readlinkSync(`/proc/${c.pid}/ns/${ns}`));
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(readFileSync(`/proc/${c.pid}/cgroup`, 'utf8'));
    expect(readlinkSync(`/proc/${pid}/root`)).toBe(readlinkSync(`/proc/${c.pid}/root`));
    // Detached: left to the caller's subreaper (here: none, so init), or with tsrun to the shim it starts then.
    const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    if (IS_TSRUN) expect(ppid).toBe(JSON.parse(readFileSync(join(h.root, c.id, 'execs', String(pid), 'shim.json'), 'utf8')).pid);
    else expect(ppid).toBe(1);
    process.kill(pid, 'SIGKILL');
  });

  it('runs in the foreground with the container as its world and returns the exit status', () => {
    const r = h.rt(['exec', c.id, 'sh', '-c', 'echo $$; hostname; tr "\\0" " " </proc/1/cmdline; echo; exit 3']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
    const [selfPid, host, init] = r.stdout.trim().split('\n');
    // The container's own pid namespace: pid 1 is its init.
    expect(Number(selfPid)).toBeGreaterThan(1);
    expect(Number(selfPid)).toBeLessThan(100);
    expect(init!.trim()).toBe('sleep 1000');
    expect(host).toBe('tsrun-test');
  });

  it('reports 128+N for a process killed by signal N', () => {
    expect(h.rt(['exec', c.id, 'sh', '-c', 'kill -9 $$']).status).toBe(137);
  });

  it('fails with 255, runc\'s words and no pid file when the program does not exist', () => {
    const pidFile = join(h.work, 'missing.pid');
    const r = h.rt(['exec', '-d', '--pid-file', pidFile, c.id, 'no-such-program']);
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('exec failed: ');
    expect(r.stderr).toContain('no-such-program');
    expect(r.stderr).toContain('executable file not found in $PATH');
    expect(existsSync(pidFile)).toBe(false);
  });

  it('applies -u, -g, -e, --cwd and --no-new-privs on top of config.json\'s process', () => {
    const r = h.rt(['exec', '-u', '1000:1000', '-g', '10', '-e', 'FOO=bar', '--cwd', '/tmp', c.id, 'sh', '-c', 'id; echo $FOO; pwd']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['uid=1000(user) gid=1000(user) groups=10', 'bar', '/tmp']);
  });

  it('--cap raises the capability in bounding, effective and permitted only: never inheritable or ambient (CVE-2022-29162)', () => {
    const r = h.rt(['exec', '--cap', 'CAP_SYS_ADMIN', '-u', '1000:1000', c.id, 'sh', '-c', 'grep -E "^Cap(Inh|Prm|Eff|Amb):" /proc/self/status']);
    expect(r.stderr).toBe('');
    const caps = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/:\s*/) as [string, string]));
    // The default config has no inheritable set: the capability must not survive execve as ambient.
    expect(BigInt('0x' + caps.CapInh)).toBe(0n);
    expect(BigInt('0x' + caps.CapAmb)).toBe(0n);
    const root = h.rt(['exec', '--cap', 'CAP_SYS_ADMIN', c.id, 'sh', '-c', 'grep -E "^Cap(Inh|Eff|Amb):" /proc/self/status']);
    const rc = Object.fromEntries(root.stdout.trim().split('\n').map((l) => l.split(/:\s*/) as [string, string]));
    expect(BigInt('0x' + rc.CapEff) & (1n << 21n)).toBe(1n << 21n);
    expect(BigInt('0x' + rc.CapInh)).toBe(0n);
    expect(BigInt('0x' + rc.CapAmb)).toBe(0n);
  });

  it('refuses uids and gids out of 0..2^31-1 (-1 would have left the process root), in runc\'s words', () => {
    // runc reads 99999999999 with Atoi and keeps its low 32 bits (uid 1215752191): tsrun refuses it too.
    for (const u of ['-1', '-5', '4294967295', '1000:4294967295', '1000:-1', ...(IS_TSRUN ? ['99999999999'] : [])]) {
      const r = h.rt(['exec', '-u', u, c.id, 'id']);
      expect(r.status, u).toBe(255);
      expect(r.stderr, u).toContain('uids and gids must be in range 0-2147483647');
      expect(r.stdout, u).toBe('');
    }
    const g = h.rt(['exec', '-u', '1000', '-g', '4294967295', c.id, 'id']);
    expect(g.status).toBe(255);
    expect(g.stdout).toBe('');
    if (IS_TSRUN) expect(g.stderr).toContain('uids and gids must be in range 0-2147483647');
  });

  it('refuses a user that is not a number, as runc does', () => {
    const r = h.rt(['exec', '-u', 'nobody', c.id, 'id']);
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('parsing nobody as int for uid failed');
  });

  it('refuses an empty command', () => {
    const r = h.rt(['exec', c.id]);
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('process args cannot be empty');
  });

  it('passes only stdio and the preserved fds', () => {
    const extra = openSync(join(h.work, 'extra.txt'), 'w+');
    writeSync(extra, 'preserved\n');
    try {
      const r = h.rt(['exec', '--preserve-fds', '1', c.id, 'sh', '-c', 'ls /proc/self/fd | tr "\\n" " "; echo; cat /proc/self/fd/3'], {
        extraFds: [extra],
      });
      expect(r.stderr).toBe('');
      // ls sees 0-3 and its own directory fd.
      const [fds, content] = r.stdout.split('\n');
      expect(fds!.trim().split(/\s+/).map(Number).sort()).toEqual([0, 1, 2, 3, 4]);
      expect(content).toBe('preserved');
    } finally {
      closeSync(extra);
    }
  });
});

describe('exec --process (the engines\' path)', () => {
  it('runs the OCI process as given: user, groups, env, cwd, capabilities, no_new_privs, rlimits; HOME from /etc/passwd', () => {
    const c = running();
    const proc = {
      terminal: false,
      user: { uid: 1000, gid: 1000, additionalGids: [10] },
      args: ['sh', '-c', 'id; echo "$HOME $X"; pwd; ulimit -n; grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status'],
      env: ['PATH=/bin:/usr/bin', 'X=1'],
      cwd: '/etc',
      capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
      noNewPrivileges: true,
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 512, soft: 256 }],
    };
    const file = join(h.work, 'proc1.json');
    writeFileSync(file, JSON.stringify(proc));
    // Flags that shape the process are ignored with --process, as with runc.
    const r = h.rt(['exec', '--process', file, '-u', '0', c.id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' '))).toEqual([
      'uid=1000(user) gid=1000(user) groups=10',
      '/home/user 1',
      '/etc',
      '256',
      'CapBnd: 0000000000000020',
      'NoNewPrivs: 1',
    ]);
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });

  it('takes the container\'s capabilities and seccomp filter when the process does not say (no_new_privs is its own)', () => {
    const cfg = baseConfig(['sleep', '1000']);
    cfg.process.capabilities = { bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] };
    cfg.process.noNewPrivileges = true;
    cfg.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
    const c = running(cfg);
    const file = join(h.work, 'proc2.json');
    writeFileSync(file, JSON.stringify({ args: ['sh', '-c', 'mkdir /tmp/x 2>&1; grep -E "^(CapBnd|NoNewPrivs|Seccomp):" /proc/self/status'], env: ['PATH=/bin'], cwd: '/' }));
    const r = h.rt(['exec', '-p', file, c.id]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' '));
    expect(lines[0]).toMatch(/Operation not permitted/);
    expect(lines.slice(1)).toEqual(['CapBnd: 0000000000000001', 'NoNewPrivs: 0', 'Seccomp: 2']);
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });

  // runc applies the container's personality in its setns init from 1.2 on (whatever the process); the runc
  // 1.1 the suite is compared with has no personality at all.
  it.skipIf(!IS_TSRUN)("takes the container's personality, with the flags and with --process, as runc does", () => {
    const cfg = baseConfig(['sleep', '1000']);
    cfg.linux.personality = { domain: 'LINUX32' };
    const c = running(cfg);
    const flags = h.rt(['exec', c.id, 'uname', '-m']);
    expect(flags.stderr).toBe('');
    expect(flags.stdout.trim()).toBe('i686');
    const file = join(h.work, 'proc-pers.json');
    writeFileSync(file, JSON.stringify({ args: ['uname', '-m'], env: ['PATH=/bin:/usr/bin'], cwd: '/' }));
    const p = h.rt(['exec', '-p', file, c.id]);
    expect(p.stderr).toBe('');
    expect(p.stdout.trim()).toBe('i686');
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });

  it.skipIf(!IS_TSRUN)('still execs into a container whose state.json has the old `exec` record (settings by name)', () => {
    const cfg = baseConfig(['sleep', '1000']);
    cfg.process.capabilities = { bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] };
    cfg.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 300, soft: 300 }];
    cfg.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
    const c = running(cfg);
    // Rewritten as tsrun wrote it before execConfig (version 1, the config's parts beside the identity).
    const file = join(h.root, c.id, 'state.json');
    const st = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
    expect(st.version).toBe(2);
    expect(st.config.exec.caps.bounding).toBe('0x1');
    const { config, ...rest } = st;
    const { exec: execConfig, ...parts } = config;
    const old = { capabilities: cfg.process.capabilities, rlimits: cfg.process.rlimits, noNewKeyring: false, seccomp: { file: execConfig.seccomp.file, flags: execConfig.seccomp.flags } };
    writeFileSync(file, JSON.stringify({ ...rest, ...parts, version: 1, exec: old }));
    const proc = join(h.work, 'proc-old.json');
    writeFileSync(proc, JSON.stringify({ args: ['sh', '-c', 'mkdir /tmp/y 2>&1; ulimit -n; grep -E "^(CapBnd|Seccomp):" /proc/self/status'], env: ['PATH=/bin'], cwd: '/' }));
    const r = h.rt(['exec', '-p', proc, c.id]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' '));
    expect(lines[0]).toMatch(/Operation not permitted/);
    expect(lines.slice(1)).toEqual(['300', 'CapBnd: 0000000000000001', 'Seccomp: 2']);
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });

  it('refuses a process.json whose user is (uid_t)-1, naming the path', () => {
    const c = running();
    for (const user of [{ uid: 4294967295, gid: 0 }, { uid: 1000, gid: 4294967295 }]) {
      const file = join(h.work, `user-${user.gid}.json`);
      writeFileSync(file, JSON.stringify({ args: ['id'], cwd: '/', env: ['PATH=/bin'], user }));
      const r = h.rt(['exec', '-p', file, c.id]);
      expect(r.status).toBe(255);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('uids and gids must be in range 0-2147483647');
      if (IS_TSRUN) expect(r.stderr).toContain(`user.${user.gid ? 'gid' : 'uid'}: uids and gids`);
    }
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });

  it('names the JSON path of an invalid process.json', () => {
    const c = running();
    const file = join(h.work, 'bad.json');
    writeFileSync(file, JSON.stringify({ args: 'sh', cwd: '/' }));
    const r = h.rt(['exec', '-p', file, c.id]);
    expect(r.status).toBe(255);
    if (IS_TSRUN) expect(r.stderr).toMatch(/args/);
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });
});

describe('exec inputs that are not regular files, or too large', () => {
  const c = running();
  afterAll(() => h.rt(['delete', '--force', c.id]));

  /** exec --process FILE must fail at once (255, as every failed exec), naming the file, starting nothing. */
  function refused(file: string, message: string) {
    const pidFile = join(h.work, `refused-${Date.now()}.pid`);
    const started = Date.now();
    const r = h.rt(['exec', '-d', '--pid-file', pidFile, '--process', file, c.id], { timeout: 10_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.status).toBe(255);
    if (IS_TSRUN) expect(r.stderr).toContain(message);
    expect(existsSync(pidFile)).toBe(false);
    const execs = join(h.root, c.id, 'execs');
    if (IS_TSRUN && existsSync(execs)) expect(readdirSync(execs).filter((e) => e.startsWith('.new-'))).toEqual([]);
  }

  it.each(['/dev/zero', '/dev/urandom', '/dev/full'])('--process %s', (dev) => {
    refused(dev, `${dev}: not a regular file (a character device)`);
  });

  // runc opens the file without O_NONBLOCK and waits for a writer for ever.
  it.skipIf(!IS_TSRUN)('--process FIFO', () => {
    const fifo = join(h.work, 'process.fifo');
    execFileSync('mkfifo', [fifo]);
    refused(fifo, `${fifo}: not a regular file (a FIFO)`);
  });

  it('--process larger than 16 MiB', () => {
    const big = join(h.work, 'big-process.json');
    writeFileSync(big, '');
    truncateSync(big, 16 * 1024 * 1024 + 1);
    refused(big, `${big}: larger than the limit of 16 MiB`);
  });

  // runc reads /etc/passwd inside the container, where a FIFO blocks it too.
  it.skipIf(!IS_TSRUN)("the container's own /etc/passwd replaced by a FIFO or a link to /dev/zero: exec neither hangs nor reads without end", () => {
    for (const swap of ['rm -f /etc/passwd && mkfifo /etc/passwd', 'rm -f /etc/passwd && ln -s /dev/zero /etc/passwd']) {
      expect(h.rt(['exec', c.id, 'sh', '-c', swap]).status).toBe(0);
      const started = Date.now();
      const r = h.rt(['exec', c.id, 'sh', '-c', 'echo "home=$HOME"'], { timeout: 15_000 });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('home=/\n');
    }
  });
});

describe('exec and the container\'s state', () => {
  it('refuses a paused container unless --ignore-paused, then runs once it is resumed', async () => {
    const c = running();
    expect(h.rt(['pause', c.id]).status).toBe(0);
    const r = h.rt(['exec', c.id, 'true']);
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('cannot exec in a paused container (use --ignore-paused to override)');
    // With --ignore-paused the process is born frozen: exec completes after resume.
    const p = spawn(RUNTIME, h.argv(['exec', '--ignore-paused', c.id, 'echo', 'thawed']), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // 'close', not 'exit': the output may still be in the pipe when the process is reaped.
    const done = new Promise<number | null>((res) => p.on('close', res));
    expect(h.rt(['resume', c.id]).status).toBe(0);
    expect(await done).toBe(0);
    expect(out).toBe('thawed\n');
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });

  it('refuses a stopped container', () => {
    const c = running(baseConfig(['true']));
    expect(waitExit(c.pid)).toBe(true);
    const r = h.rt(['exec', c.id, 'true']);
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('cannot exec in a stopped container');
    expect(h.rt(['delete', c.id]).status).toBe(0);
  });

  it('works in a created container (before start)', () => {
    const id = h.id('exc');
    expect(h.rt(['create', '--bundle', h.bundle(baseConfig(['sleep', '1000'])), id]).status).toBe(0);
    const r = h.rt(['exec', id, 'echo', 'early']);
    expect(r.stdout).toBe('early\n');
    expect(h.state(id).status).toBe('created');
    expect(h.rt(['delete', id]).status).toBe(0);
  });

  it('joins the user namespace first, with the container\'s id mappings', () => {
    const cfg = baseConfig(['sleep', '1000']);
    cfg.linux.namespaces.push({ type: 'user' });
    cfg.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    cfg.linux.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
    const c = running(cfg);
    const d = h.rt(['exec', '-d', '--pid-file', join(h.work, 'userns.pid'), c.id, 'sleep', '30']);
    expect(d.stderr).toBe('');
    const pid = Number(readFileSync(join(h.work, 'userns.pid'), 'utf8'));
    expect(readlinkSync(`/proc/${pid}/ns/user`)).toBe(readlinkSync(`/proc/${c.pid}/ns/user`));
    expect(statusField(pid, 'Uid').split(/\s+/)[0]).toBe('200000');
    process.kill(pid, 'SIGKILL');
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });
});

describe('exec with a terminal', () => {
  it('-d -t sends the pty master of the container\'s devpts to the console socket', () => {
    const c = running();
    const addon = native();
    const sock = join(h.work, 'exec-console.sock');
    const listener = addon.listenUnix(sock);
    const pidFile = join(h.work, 'tty-exec.pid');
    const r = h.rt(['exec', '-d', '-t', '--console-socket', sock, '--pid-file', pidFile, c.id, 'sh', '-c', 'tty; read x; echo "got:$x"']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const conn = addon.accept(listener);
    const { fd: master } = addon.recvFd(conn);
    closeSync(conn);
    closeSync(listener);
    // The input goes once the process has printed its terminal's name: typed earlier, the terminal's echo
    // could land in the middle of that line.
    let out = '';
    let typed = false;
    const buf = Buffer.alloc(4096);
    while (!out.includes('got:')) {
      if (!typed && /\/dev\/pts\/\d+\r?\n/.test(out)) {
        writeSync(master, 'hello\n');
        typed = true;
      }
      const [ev = 0] = addon.poll([master], [1], 10_000);
      if (!ev) break;
      let n = 0;
      try {
        n = readSync(master, buf, 0, buf.length, null);
      } catch {
        break;
      }
      if (n <= 0) break;
      out += buf.toString('utf8', 0, n);
    }
    closeSync(master);
    expect(out.replace(/\r/g, '')).toMatch(/^\/dev\/pts\/\d+$/m);
    expect(out).toContain('got:hello');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(waitFor(() => !pidAlive(pid))).toBe(true);
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });
});

describe('exec --cgroup: the process in a sub-cgroup of the container', () => {
  const V2 = /^\S+ \S+ \S+ \S+ \/sys\/fs\/cgroup .* - cgroup2 /m.test(readFileSync('/proc/self/mountinfo', 'utf8'));
  const cfg = baseConfig(['sleep', '1000']);
  cfg.linux.cgroupsPath = `/tsrun-test/exsub-${process.pid}`;
  const c = running(cfg);
  afterAll(() => h.rt(['delete', '--force', c.id]));

  /** The container init's cgroup directories: hierarchy line prefix ("4:memory") → directory. */
  function hierarchies(): { prefix: string; dir: string }[] {
    return readFileSync(`/proc/${c.pid}/cgroup`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const [n, ctrls, path] = [l.split(':')[0]!, l.split(':')[1]!, l.split(':').slice(2).join(':')];
        const mount = ctrls === '' ? (V2 ? '' : 'unified') : readdirSync('/sys/fs/cgroup').find((d) => d === ctrls.replace('name=', '') || d.split(',').sort().join(',') === ctrls.split(',').sort().join(','));
        return { prefix: `${n}:${ctrls}`, dir: join('/sys/fs/cgroup', mount ?? '', path) };
      });
  }
  const lineOf = (pid: number, ctrl: string) =>
    readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => (V2 ? l.startsWith('0::') : l.split(':')[1]!.split(',').includes(ctrl)))!;
  const execPid = (file: string) => Number(readFileSync(join(h.work, file), 'utf8'));
  /** A sub-cgroup in every hierarchy (a v1 cpuset one needs its parent's cpus and mems before it takes a process). */
  function makeSub(name: string): void {
    for (const { dir } of hierarchies()) {
      execFileSync('mkdir', ['-p', join(dir, name)]);
      for (const f of ['cpuset.cpus', 'cpuset.mems'])
        if (!V2 && existsSync(join(dir, f))) writeFileSync(join(dir, name, f), readFileSync(join(dir, f), 'utf8'));
    }
  }

  it('--cgroup PATH puts the process in that sub-cgroup of every hierarchy', () => {
    makeSub('sub');
    const r = h.rt(['exec', '-d', '--cgroup', 'sub', '--pid-file', join(h.work, 'sub.pid'), c.id, 'sleep', '30']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const pid = execPid('sub.pid');
    for (const ctrl of ['memory', 'pids']) expect(lineOf(pid, ctrl)).toBe(`${lineOf(c.pid, ctrl)}/sub`);
    process.kill(pid, 'SIGKILL');
    expect(waitExit(pid)).toBe(true);
  });

  it.skipIf(V2)('--cgroup CONTROLLER:PATH moves only that controller (v1)', () => {
    makeSub('mem-only');
    const r = h.rt(['exec', '-d', '--cgroup', 'memory:mem-only', '--pid-file', join(h.work, 'mem.pid'), c.id, 'sleep', '30']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const pid = execPid('mem.pid');
    expect(lineOf(pid, 'memory')).toBe(`${lineOf(c.pid, 'memory')}/mem-only`);
    expect(lineOf(pid, 'pids')).toBe(lineOf(c.pid, 'pids'));
    process.kill(pid, 'SIGKILL');
    expect(waitExit(pid)).toBe(true);
  });

  it.skipIf(!V2)('--cgroup CONTROLLER:PATH is refused on cgroup v2', () => {
    const r = h.rt(['exec', '-d', '--cgroup', 'memory:sub', c.id, 'true']);
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('unknown controller memory in SubCgroupPaths');
  });

  it('fails (status 255), starting nothing, for a sub-cgroup that does not exist or is outside the container', () => {
    const before = JSON.parse(h.rt(['ps', '--format', 'json', c.id]).stdout) as number[];
    const missing = h.rt(['exec', '-d', '--cgroup', 'no-such-sub', '--pid-file', join(h.work, 'missing.pid'), c.id, 'sleep', '30']);
    expect(missing.status).toBe(255);
    expect(missing.stderr).toMatch(/error adding pid \d+ to cgroups: .*no-such-sub.*no such file or directory/);
    expect(existsSync(join(h.work, 'missing.pid'))).toBe(false);
    const outside = h.rt(['exec', '-d', '--cgroup', '../escape', c.id, 'sleep', '30']);
    expect(outside.status).toBe(255);
    expect(outside.stderr).toContain('../escape is not a sub cgroup path');
    const bad = h.rt(['exec', '-d', '--cgroup', 'a:b:c', c.id, 'sleep', '30']);
    expect(bad.status).toBe(255);
    expect(bad.stderr).toContain('invalid --cgroup argument: a:b:c');
    expect(JSON.parse(h.rt(['ps', '--format', 'json', c.id]).stdout)).toEqual(before);
  });
});

describe('--pidfd-socket: a pidfd of the process is sent to the caller', () => {
  const addon = native();

  /** Receives the one message a runtime sent to a fresh socket: its text and the Pid its pidfd refers to. */
  function receive(listener: number): { data: string; pid: number; fd: number } {
    // The runtime has returned: its connection, if it made one, is waiting (never block on one that is not).
    if ((addon.poll([listener], [1], 5_000)[0]! & 1) === 0) {
      closeSync(listener);
      throw new Error('nothing connected to the pidfd socket');
    }
    const conn = addon.accept(listener);
    try {
      const { fd, data } = addon.recvFd(conn);
      const m = /^Pid:\s*(-?\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      return { data, pid: Number(m?.[1]), fd };
    } finally {
      closeSync(conn);
      closeSync(listener);
    }
  }

  it.skipIf(!IS_TSRUN)('exec: the pidfd refers to the exec\'d process and tells when it exits', () => {
    const c = running();
    const sock = join(h.work, 'exec-pidfd.sock');
    const listener = addon.listenUnix(sock);
    const r = h.rt(['exec', '-d', '--pidfd-socket', sock, '--pid-file', join(h.work, 'pidfd.pid'), c.id, 'sleep', '30']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const pid = Number(readFileSync(join(h.work, 'pidfd.pid'), 'utf8'));
    const got = receive(listener);
    expect(got.data).toBe('setns');
    expect(got.pid).toBe(pid);
    expect(addon.poll([got.fd], [1], 0)[0]! & 1).toBe(0);
    process.kill(pid, 'SIGKILL');
    expect(addon.poll([got.fd], [1], 10_000)[0]! & 1).toBe(1);
    closeSync(got.fd);
    h.rt(['delete', '--force', c.id]);
  });

  it.skipIf(!IS_TSRUN)('create and run -d: the pidfd refers to the container init', () => {
    for (const verb of ['create', 'run']) {
      const id = h.id('pidfd');
      const sock = join(h.work, `${verb}-pidfd.sock`);
      const listener = addon.listenUnix(sock);
      const args = verb === 'run' ? ['run', '-d'] : ['create'];
      const r = h.rt([...args, '--pidfd-socket', sock, '--bundle', h.bundle(baseConfig(['sleep', '1000'])), id]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const got = receive(listener);
      expect(got.data).toBe('standard');
      expect(got.pid).toBe(h.state(id).pid);
      closeSync(got.fd);
      expect(h.rt(['delete', '--force', id]).status).toBe(0);
    }
  });

  it.skipIf(!IS_TSRUN)('an unreachable socket fails create and exec before anything is made', () => {
    const sock = join(h.work, 'nobody-listens.sock');
    const id = h.id('pidfd');
    const r = h.rt(['create', '--pidfd-socket', sock, '--bundle', h.bundle(baseConfig(['sleep', '1000'])), id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`failed to dail ${sock}: dial unix ${sock}: connect: no such file or directory`);
    expect(existsSync(join(h.root, id))).toBe(false);
    const c = running();
    const e = h.rt(['exec', '-d', '--pidfd-socket', sock, c.id, 'sleep', '30']);
    expect(e.status).toBe(255);
    expect(e.stderr).toContain('failed to dail');
    expect(JSON.parse(h.rt(['ps', '--format', 'json', c.id]).stdout)).toEqual([c.pid]);
    h.rt(['delete', '--force', c.id]);
  });
});
