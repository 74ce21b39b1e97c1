import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Harness, RUNTIME, baseConfig, processesUsing, stateDirExists } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

/** `run` in the foreground, the way a person at a shell uses it. */
function run(config: ReturnType<typeof baseConfig>, input = '') {
  const id = h.id('run');
  const bundle = h.bundle(config);
  const r = h.rt(['run', '--bundle', bundle, id], { input });
  return { ...r, id, bundle };
}

describe('run in the foreground', () => {
  it('exits with the process exit status and removes the container', () => {
    const r = run(baseConfig(['sh', '-c', 'echo out; echo err >&2; exit 7']));
    expect(r.status).toBe(7);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    expect(stateDirExists(h, r.id)).toBe(false);
    expect(processesUsing(r.bundle)).toEqual([]);
  });

  it('reports death by signal N as 128+N', () => {
    // Without its own pid namespace: the init of one cannot be killed from inside by a signal it does not handle.
    const self = (sig: string) => {
      const cfg = baseConfig(['sh', '-c', `kill -${sig} $$`]);
      cfg.linux.namespaces = cfg.linux.namespaces.filter((n: { type: string }) => n.type !== 'pid');
      return run(cfg).status;
    };
    expect(self('KILL')).toBe(137);
    expect(self('TERM')).toBe(143);
  });

  it('passes stdin through to the process', () => {
    const r = run(baseConfig(['sh', '-c', 'read a; read b; echo "$b $a"; cat']), 'one\ntwo\nrest of it\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('two one\nrest of it\n');
  });

  it('keeps a stopped container with --keep', () => {
    const id = h.id('keep');
    const bundle = h.bundle(baseConfig(['true']));
    expect(h.rt(['run', '--keep', '--bundle', bundle, id]).status).toBe(0);
    expect(h.state(id).status).toBe('stopped');
    expect(h.rt(['delete', id]).status).toBe(0);
  });

  it('forwards signals sent to the runtime to the container process', async () => {
    const id = h.id('fwd');
    const bundle = h.bundle(baseConfig(['sh', '-c', 'trap "echo caught; exit 42" TERM; echo ready; while :; do sleep 0.05; done']));
    const child = h.rtAsync(['run', '--bundle', bundle, id]);
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      });
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(42);
    expect(out).toContain('caught');
  });
});

describe('the process as configured', () => {
  it('gets its env (plus HOME from /etc/passwd), cwd, user and groups', () => {
    const cfg = baseConfig(['sh', '-c', 'echo "$FOO|$HOME|$(pwd)|$(id -u):$(id -g)|$(id -G)"']);
    cfg.process.env.push('FOO=bar baz');
    cfg.process.cwd = '/home/user/work';
    cfg.process.user = { uid: 1000, gid: 1000, additionalGids: [5, 65534] };
    const r = run(cfg);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The cwd is created if missing; HOME comes from the container's /etc/passwd for uid 1000.
    expect(r.stdout).toBe('bar baz|/home/user|/home/user/work|1000:1000|1000 5 65534\n');
  });

  it('keeps an explicit HOME and falls back to / for a uid not in /etc/passwd', () => {
    const own = baseConfig(['sh', '-c', 'echo $HOME']);
    own.process.env.push('HOME=/srv');
    expect(run(own).stdout).toBe('/srv\n');
    const stranger = baseConfig(['sh', '-c', 'echo $HOME']);
    stranger.process.user = { uid: 4242, gid: 4242 };
    expect(run(stranger).stdout).toBe('/\n');
  });

  it('has exactly the configured capabilities and no_new_privs', () => {
    const r = run(baseConfig(['sh', '-c', 'grep -E "^(Cap|NoNewPrivs)" /proc/self/status']));
    const caps = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/:\s+/)));
    // CAP_AUDIT_WRITE(29), CAP_KILL(5), CAP_NET_BIND_SERVICE(10)
    const want = ((1n << 29n) | (1n << 5n) | (1n << 10n)).toString(16).padStart(16, '0');
    expect(caps).toMatchObject({ CapPrm: want, CapEff: want, CapBnd: want, CapInh: '0000000000000000', NoNewPrivs: '1' });
  });

  it('applies rlimits and umask', () => {
    const cfg = baseConfig(['sh', '-c', 'ulimit -n; ulimit -Hn; umask']);
    cfg.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 654 }];
    cfg.process.user = { uid: 0, gid: 0, umask: 0o27 };
    expect(run(cfg).stdout).toBe('321\n654\n0027\n');
  });

  it('starts with default signal dispositions and an empty mask', () => {
    // The process itself (no shell, which ignores SIGQUIT on its own): Node ignores SIGPIPE and an ignored
    // signal would survive execve; glibc's reserved signals 32 and 33 must be reset too.
    const r = run(baseConfig(['cat', '/proc/self/status']));
    expect(r.stdout).toContain('\nSigBlk:\t0000000000000000\n');
    expect(r.stdout).toContain('\nSigIgn:\t0000000000000000\n');
  });

  it('receives only stdio: no fd of the runtime leaks into the container', () => {
    const r = run(baseConfig(['sh', '-c', 'ls /proc/self/fd | sort -n | tr "\\n" " "']));
    // 0-2, plus the fd ls itself opens for the directory
    expect(r.stdout.trim().split(' ').map(Number).filter((n) => n > 3)).toEqual([]);
  });

  it('fails create, like runc, when the executable does not exist', () => {
    const r = run(baseConfig(['no-such-binary']));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('executable file not found in $PATH');
    expect(stateDirExists(h, r.id)).toBe(false);
    expect(processesUsing(r.bundle)).toEqual([]);
  });

  it('is a session leader', () => {
    const r = run(baseConfig(['sh', '-c', 'cut -d" " -f6 /proc/self/stat; echo $$']));
    const [sid, pid] = r.stdout.trim().split('\n');
    expect(sid).toBe(pid);
  });

  it('writes into a bind-mounted host directory', () => {
    const cfg = baseConfig(['sh', '-c', 'echo from-container > /data/out']);
    const hostDir = join(h.work, 'hostdata');
    mkdirSync(hostDir);
    cfg.mounts.push({ destination: '/data', type: 'bind', source: hostDir, options: ['rbind', 'rw'] });
    expect(run(cfg).status).toBe(0);
    expect(readFileSync(join(hostDir, 'out'), 'utf8')).toBe('from-container\n');
  });
});

describe('preserved fds', () => {
  it('passes --preserve-fds N fds from 3 at the same numbers, and nothing more', () => {
    const file = join(h.work, 'preserved');
    writeFileSync(file, 'kept open by the caller\n');
    const fd3 = openSync(file, 'r');
    const fd4 = openSync(file, 'r');
    try {
      const id = h.id('pfd');
      const bundle = h.bundle(baseConfig(['sh', '-c', 'cat <&3; for f in /proc/self/fd/*; do echo "$f $(readlink $f)"; done']));
      const r = h.rt(['run', '--preserve-fds', '1', '--bundle', bundle, id], { extraFds: [fd3, fd4] });
      expect(r.stderr).toBe('');
      const [content, ...fds] = r.stdout.trim().split('\n');
      expect(content).toBe('kept open by the caller');
      // fd 3 is the preserved file; fd 4, open in the caller but not preserved, never reaches the container.
      const toFile = fds.filter((l) => l.endsWith(' ' + file)).map((l) => l.split(' ')[0]);
      expect(toFile).toEqual(['/proc/self/fd/3']);
    } finally {
      closeSync(fd3);
      closeSync(fd4);
    }
  });
});

describe('inherited stdio', () => {
  it('reaches the container as the same pipes, never switched to non-blocking by the runtime', async () => {
    // With pipes (not files) as stdio, a Node stream on fd 0-2 would set O_NONBLOCK on the shared file
    // description, and the container would then get EAGAIN on writes.
    const id = h.id('pipes');
    const bundle = h.bundle(baseConfig(['sh', '-c', 'for f in 0 1 2; do grep flags /proc/self/fdinfo/$f; done']));
    const child = h.rtAsync(['run', '--bundle', bundle, id]);
    child.stdin.end();
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    const flags = out.trim().split('\n').map((l) => parseInt(l.split(/\s+/)[1]!, 8));
    expect(flags).toHaveLength(3);
    for (const f of flags) expect(f & 0o4000).toBe(0);
  });
});

describe('socket activation and keyrings', () => {
  it('passes LISTEN_FDS fds on with LISTEN_FDS and LISTEN_PID=1 when they are meant for the runtime', () => {
    const file = join(h.work, 'activation');
    writeFileSync(file, 'activated\n');
    const bundle = h.bundle(baseConfig(['sh', '-c', 'echo "$LISTEN_FDS $LISTEN_PID"; cat <&3']));
    // The shell's pid becomes the runtime's through exec, as systemd arranges it.
    const out = execFileSync('sh', ['-c', `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" --root "$1" run --bundle "$2" "$3" 3<"$4"`, RUNTIME, h.root, bundle, h.id('listen2'), file], {
      encoding: 'utf8',
    });
    expect(out).toBe('1 1\nactivated\n');
  });

  it('--no-new-keyring keeps the caller\'s session keyring', () => {
    const cfg = baseConfig(['cat', '/proc/keys']);
    cfg.linux.maskedPaths = cfg.linux.maskedPaths.filter((p: string) => p !== '/proc/keys');
    const id = h.id('nokeyring');
    const r = h.rt(['run', '--no-new-keyring', '--bundle', h.bundle(cfg), id]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain(`_ses.${id}`);
  });
});
