// tsrun's own shim: a container nobody supervises keeps its output and exit status after tsrun has exited.
// Runtimes without a shim (runc) have nothing to test here.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, renameSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Harness, IS_TSRUN, RUNTIME, baseConfig, pidAlive, waitExit, waitFor, type Config } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

const PAYLOAD = join(import.meta.dirname, '../../build/Release/tsrun-test-payload');
const CRI_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z (stdout|stderr) [PF] .*$/;

/**
 * The runtime as a person's script runs it: stdio not files (the container's output is then the shim's to keep),
 * from a process that exits right after.
 */
function rtNull(args: string[]) {
  const r = spawnSync(RUNTIME, h.argv(args), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

function startDetached(cfg: Config, extra: string[] = []) {
  const id = h.id('sh');
  const bundle = h.bundle(cfg);
  const c = rtNull(['create', ...extra, '--bundle', bundle, id]);
  expect(c.stderr).toBe('');
  expect(c.status).toBe(0);
  expect(rtNull(['start', id]).status).toBe(0);
  const st = JSON.parse(readFileSync(join(h.root, id, 'state.json'), 'utf8')) as { pid: number; shim?: { pid: number } };
  return { id, pid: st.pid, shim: st.shim?.pid ?? 0 };
}

function waitStatus(id: string): number | null {
  return spawnSync(RUNTIME, h.argv(['wait', id]), { stdio: 'ignore', timeout: 30_000 }).status;
}

function logs(id: string, ...args: string[]) {
  const r = spawnSync(RUNTIME, h.argv(['logs', ...args, id]), { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A raw attach client speaking the shim's frames. */
function attachClient(id: string) {
  const sock = connect(join(h.root, id, 'attach.sock'));
  let out = '';
  sock.on('data', (d: Buffer) => {
    for (let off = 0; off + 5 <= d.length; ) {
      const len = d.readUInt32LE(off + 1);
      out += d.subarray(off + 5, off + 5 + len).toString();
      off += 5 + len;
    }
  });
  const frame = (type: number, payload: Buffer) => {
    const head = Buffer.alloc(5);
    head.writeUInt8(type, 0);
    head.writeUInt32LE(payload.length, 1);
    sock.write(Buffer.concat([head, payload]));
  };
  return {
    ready: new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    }),
    closed: new Promise<void>((resolve) => sock.once('close', () => resolve())),
    output: () => out,
    stdin: (s: string) => frame(0, Buffer.from(s)),
    resize: (rows: number, cols: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt16LE(rows, 0);
      b.writeUInt16LE(cols, 2);
      frame(1, b);
    },
  };
}

const until = (cond: () => boolean) =>
  new Promise<void>((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => (cond() ? resolve() : Date.now() - t0 > 10_000 ? reject(new Error('timed out')) : setTimeout(tick, 20));
    tick();
  });

describe.skipIf(!IS_TSRUN)('shim', () => {
  it('keeps the output and the exit status of a container whose creator has exited', () => {
    const c = startDetached(baseConfig(['sh', '-c', 'echo out1; echo err1 >&2; printf unfinished; exit 3']));
    expect(c.shim).toBeGreaterThan(0);
    expect(waitStatus(c.id)).toBe(3);
    const log = readFileSync(join(h.logDir(c.id), 'container.log'), 'utf8').trimEnd().split('\n');
    for (const l of log) expect(l).toMatch(CRI_LINE);
    // Within a stream in order; the two streams are separate pipes, so their interleaving is the reader's.
    const records = log.map((l) => l.split(' ').slice(1).join(' '));
    expect(records.filter((r) => r.startsWith('stdout'))).toEqual(['stdout F out1', 'stdout P unfinished']);
    expect(records.filter((r) => r.startsWith('stderr'))).toEqual(['stderr F err1']);
    const l = logs(c.id);
    expect(l.status).toBe(0);
    expect(l.stdout).toBe('out1\nunfinished');
    expect(l.stderr).toBe('err1\n');
    expect(h.state(c.id)).toMatchObject({ status: 'stopped', exitCode: 3, oomKilled: false });
    expect(Number.isNaN(Date.parse(String(h.state(c.id).exitedAt)))).toBe(false);
    // The shim wrote its record and left.
    expect(waitExit(c.shim)).toBe(true);
    expect(h.rt(['delete', c.id]).status).toBe(0);
    expect(existsSync(join(h.root, c.id))).toBe(false);
  });

  it('records a kill -9 as signal 9 (exit code 137)', () => {
    const c = startDetached(baseConfig(['sleep', '1000']));
    expect(h.rt(['kill', c.id, 'KILL']).status).toBe(0);
    expect(waitStatus(c.id)).toBe(137);
    expect(h.state(c.id)).toMatchObject({ status: 'stopped', exitCode: 137, exitSignal: 9, oomKilled: false });
    expect(h.rt(['delete', c.id]).status).toBe(0);
  });

  it('records an OOM kill', () => {
    const cfg = baseConfig(['tsrun-test-payload', 'alloc', '64']);
    cfg.linux.resources = { memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } };
    const c = startDetached(cfg);
    expect(waitStatus(c.id)).toBe(137);
    expect(h.state(c.id)).toMatchObject({ status: 'stopped', exitCode: 137, exitSignal: 9, oomKilled: true });
    expect(h.rt(['delete', c.id]).status).toBe(0);
  });

  it('is detached from its caller: own session, stdio on /dev/null, outside the container cgroup, survives SIGHUP', () => {
    const c = startDetached(baseConfig(['sh', '-c', 'read x; echo got:$x']), ['--stdin']);
    const stat = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // field 4 of stat after the comm: ppid(1) pgrp(2) session(3)
    const [, ppid, , session] = stat(c.pid);
    expect(Number(ppid)).toBe(c.shim);
    expect(Number(stat(c.shim)[3])).toBe(c.shim); // session leader
    expect(Number(session)).not.toBe(Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[3]));
    for (const fd of [0, 1, 2]) expect(readlinkSync(`/proc/${c.shim}/fd/${fd}`)).toBe('/dev/null');
    expect(readFileSync(`/proc/${c.shim}/cgroup`, 'utf8')).not.toBe(readFileSync(`/proc/${c.pid}/cgroup`, 'utf8'));
    expect(readlinkSync(`/proc/${c.shim}/cwd`)).toBe('/');
    process.kill(c.shim, 'SIGHUP');
    process.kill(c.shim, 'SIGTERM');
    process.kill(c.shim, 'SIGPIPE');
    expect(waitExit(c.shim, 300)).toBe(false);
    expect(pidAlive(c.pid)).toBe(true);
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
    expect(pidAlive(c.shim)).toBe(false);
    expect(existsSync(join(h.root, c.id))).toBe(false);
  });

  it('finishes its work after tsrun\'s binaries were replaced (an upgrade renames new files over the old)', () => {
    const c = startDetached(baseConfig(['sleep', '1000']));
    // The launcher the runtime under test runs: beside the shipped executable, or the build's.
    const shipped = join(dirname(realpathSync(RUNTIME)), 'tsrun-launcher');
    const launcher = existsSync(shipped) ? shipped : join(import.meta.dirname, '../../build/Release/tsrun-launcher');
    const copy = `${launcher}.upgrade-${process.pid}`;
    // The shim runs the launcher through a read-only overlay of its directory (the same inode) or from a sealed
    // copy (CVE-2019-5736): either way the rename leaves it on its old image.
    const image = statSync(`/proc/${c.shim}/exe`).ino;
    copyFileSync(launcher, copy);
    renameSync(copy, launcher);
    expect(statSync(launcher).ino).not.toBe(image);
    expect(statSync(`/proc/${c.shim}/exe`).ino).toBe(image);
    expect(h.rt(['kill', c.id, 'KILL']).status).toBe(0);
    expect(waitStatus(c.id)).toBe(137);
    expect(h.state(c.id)).toMatchObject({ status: 'stopped', exitCode: 137, exitSignal: 9 });
    expect(h.rt(['delete', c.id]).status).toBe(0);
  });

  it('protects itself from the OOM killer (needs CAP_SYS_RESOURCE)', (ctx) => {
    const bounding = BigInt('0x' + /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!);
    if (!(bounding & (1n << 24n))) {
      // Lowering oom_score_adj below 0 needs CAP_SYS_RESOURCE, which this host does not give.
      ctx.skip();
    }
    const c = startDetached(baseConfig(['sleep', '1000']));
    expect(readFileSync(`/proc/${c.shim}/oom_score_adj`, 'utf8').trim()).toBe('-1000');
    expect(readFileSync(`/proc/${c.pid}/oom_score_adj`, 'utf8').trim()).toBe('0');
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });

  it('attach: live output to several clients, stdin to the container, the exit code when it ends', async () => {
    const c = startDetached(baseConfig(['sh', '-c', 'read a; echo first:$a; read b; echo second:$b >&2; exit 5']), ['--stdin']);
    const one = attachClient(c.id);
    const two = attachClient(c.id);
    await Promise.all([one.ready, two.ready]);
    one.stdin('hello\n');
    await until(() => one.output().includes('first:hello') && two.output().includes('first:hello'));
    // A client leaving does not close the container's stdin; a later one writes to it.
    const three = spawn(RUNTIME, h.argv(['attach', c.id]), { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    three.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = new Promise<number | null>((resolve) => three.on('close', (s) => resolve(s)));
    await new Promise((r) => setTimeout(r, 500));
    three.stdin.write('world\n');
    expect(await code).toBe(5);
    expect(err).toContain('second:world');
    await Promise.all([one.closed, two.closed]);
    expect(logs(c.id).stderr).toBe('second:world\n');
    expect(h.rt(['delete', c.id]).status).toBe(0);
  });

  it('a terminal container: the shim holds the pty, attach resizes it', async () => {
    const cfg = baseConfig(['sh', '-c', 'read x; stty size; echo x=$x; exit 2']);
    cfg.process.terminal = true;
    const c = startDetached(cfg);
    const a = attachClient(c.id);
    await a.ready;
    a.resize(33, 99);
    a.stdin('yes\r');
    await a.closed;
    expect(a.output()).toContain('33 99');
    expect(a.output()).toContain('x=yes');
    expect(waitStatus(c.id)).toBe(2);
    expect(logs(c.id).stdout).toContain('33 99');
    expect(h.rt(['delete', c.id]).status).toBe(0);
  });

  it('a terminal the container closes: the shim keeps what came before and does not spin on the hang-up', () => {
    const cfg = baseConfig(['sh', '-c', 'echo before; exec </dev/null >/dev/null 2>&1; sleep 2; exit 7']);
    cfg.process.terminal = true;
    const c = startDetached(cfg);
    const log = join(h.logDir(c.id), 'container.log');
    expect(waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('before'))).toBe(true);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    // CPU ticks (utime + stime) of the live shim after a second of hang-up: a poll loop on it would use ~100.
    expect(pidAlive(c.shim)).toBe(true);
    const f = readFileSync(`/proc/${c.shim}/stat`, 'utf8').split(') ')[1]!.split(' ');
    expect(Number(f[11]) + Number(f[12])).toBeLessThan(30);
    expect(waitStatus(c.id)).toBe(7);
    expect(logs(c.id).stdout).toBe('before\r\n');
    expect(h.rt(['delete', c.id]).status).toBe(0);
  });

  it('logs: --tail, --timestamps, --follow until the container exits, rotation past --log-size-max', () => {
    const script = 'i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done; sleep 0.5; echo last';
    const c = startDetached(baseConfig(['sh', '-c', script]), ['--log-size-max', '2k']);
    const f = logs(c.id, '--follow');
    expect(f.status).toBe(0);
    // Rotated: both files are bounded, and together they hold the newest lines in order.
    const dir = h.logDir(c.id);
    expect(existsSync(join(dir, 'container.log.1'))).toBe(true);
    expect(statSync(join(dir, 'container.log')).size).toBeLessThanOrEqual(2048);
    expect(statSync(join(dir, 'container.log.1')).size).toBeLessThanOrEqual(2048);
    // Following from the start sees every line as it comes, rotation or not, in order.
    const followed = f.stdout.trimEnd().split('\n');
    expect(followed[followed.length - 1]).toBe('last');
    const seen = followed.slice(0, -1).map((l) => Number(l.split('-')[1]));
    expect(seen).toEqual(seen.map((_, i) => seen[0]! + i));
    expect(seen[seen.length - 1]).toBe(199);
    // Read afterwards, only what the two files keep: the newest lines, in order.
    const lines = logs(c.id).stdout.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toBe('last');
    expect(lines[lines.length - 2]).toBe('line-199');
    expect(lines.length).toBeLessThan(201);
    const kept = lines.slice(0, -1).map((l) => Number(l.split('-')[1]));
    expect(kept).toEqual(kept.map((_, i) => kept[0]! + i));
    expect(logs(c.id, '--tail', '2').stdout).toBe('line-199\nlast\n');
    expect(logs(c.id, '--tail', '1', '--timestamps').stdout).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z last\n$/);
    expect(h.rt(['delete', c.id]).status).toBe(0);
  });

  it('leaves stdout that is a regular file to the container, as runc does (scripts and the OCI suite read it)', () => {
    const id = h.id('sh');
    const bundle = h.bundle(baseConfig(['sh', '-c', 'echo to-file; exit 0']));
    const r = h.rt(['run', '-d', '--bundle', bundle, id]);
    expect(r.status).toBe(0);
    expect(waitStatus(id)).toBe(0);
    expect(readFileSync(join(h.logDir(id), 'container.log'), 'utf8')).toBe('');
    expect(h.rt(['delete', id]).status).toBe(0);
  });

  it('is not started under a child subreaper caller, nor with --shim never', async () => {
    for (const how of ['subreaper', 'never'] as const) {
      const id = h.id('sh');
      const bundle = h.bundle(baseConfig(['sleep', '1000']));
      const args = h.argv([...(how === 'never' ? ['--shim', 'never'] : []), 'create', '--bundle', bundle, id]);
      const cmd = how === 'subreaper' ? [PAYLOAD, 'subreaper', RUNTIME, ...args] : [RUNTIME, ...args];
      const p = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => how === 'never' ? p.exitCode !== null : out.includes('ran '));
      const st = JSON.parse(readFileSync(join(h.root, id, 'state.json'), 'utf8'));
      expect(st.shim).toBeUndefined();
      expect(existsSync(join(h.root, id, 'attach.sock'))).toBe(false);
      if (how === 'subreaper') {
        const ppid = Number(/^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${st.pid}/status`, 'utf8'))![1]);
        expect(ppid).toBe(p.pid);
      }
      expect(h.rt(['delete', '--force', id]).status).toBe(0);
      await new Promise((r) => (p.exitCode !== null ? r(null) : p.on('close', r)));
    }
  });

  it('exec -d by hand: the exec\'d process gets its own shim, log and exit status', () => {
    const c = startDetached(baseConfig(['sleep', '1000']));
    const pidFile = join(h.work, `${c.id}.exec.pid`);
    const r = rtNull(['exec', '-d', '--pid-file', pidFile, c.id, 'sh', '-c', 'echo from-exec; echo oops >&2; exit 6']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const w = spawnSync(RUNTIME, h.argv(['wait', '--exec', String(pid), c.id]), { stdio: 'ignore', timeout: 30_000 });
    expect(w.status).toBe(6);
    const l = logs(c.id, '--exec', String(pid));
    expect(l.stdout).toBe('from-exec\n');
    expect(l.stderr).toBe('oops\n');
    expect(JSON.parse(readFileSync(join(h.root, c.id, 'execs', String(pid), 'exit.json'), 'utf8'))).toMatchObject({ pid, exitCode: 6, signal: 0 });
    expect(readFileSync(join(h.logDir(c.id, pid), 'container.log'), 'utf8')).toMatch(/ stdout F from-exec\n/);
    // The container itself is untouched.
    expect(h.state(c.id).status).toBe('running');
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
    expect(existsSync(join(h.root, c.id))).toBe(false);
  });

  it('keeps logs out of the state root: chatty containers cannot fill it, and delete removes them', () => {
    // The state root on a 1 MiB tmpfs (as /run often is, only smaller); the logs go to --log-dir.
    const small = new Harness();
    mkdirSync(small.root, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=700', 'tsrun-small-state', small.root]);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const id = small.id('chatty');
        const bundle = small.bundle(baseConfig(['sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" x | fold -w 100; echo done']));
        const r = spawnSync(RUNTIME, small.argv(['run', '-d', '--log-size-max', '0', '--bundle', bundle, id]), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(spawnSync(RUNTIME, small.argv(['wait', id])).status).toBe(0);
        ids.push(id);
      }
      // 6 MB of output were kept, none of it in the 1 MiB state root, and a third container still starts.
      for (const id of ids) expect(statSync(join(small.logDir(id), 'container.log')).size).toBeGreaterThan(3_000_000);
      const third = small.id('after');
      expect(small.rt(['run', '--bundle', small.bundle(baseConfig(['true'])), third]).status).toBe(0);
      const dirs = ids.map((id) => small.logDir(id));
      for (const id of ids) expect(small.rt(['delete', id]).status).toBe(0);
      for (const d of dirs) expect(existsSync(d)).toBe(false);
    } finally {
      small.cleanup();
      spawnSync('umount', ['-l', small.root]);
    }
  });

  it('refuses a log directory that others can write, and leaves nothing behind', () => {
    const shared = join(h.work, 'shared-logs');
    mkdirSync(shared, { mode: 0o777 });
    chmodSync(shared, 0o1777);
    const id = h.id('sh');
    const bundle = h.bundle(baseConfig(['true']));
    const r = spawnSync(RUNTIME, ['--root', h.root, 'run', '-d', '--log-dir', shared, '--bundle', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`log directory "${shared}" must be a directory owned by uid 0 and writable by nobody else`);
    expect(existsSync(join(h.root, id))).toBe(false);
    expect(readdirSync(shared)).toEqual([]);
  });

  it('wait, attach and logs explain themselves for a container its caller supervises', () => {
    const id = h.id('sh');
    const bundle = h.bundle(baseConfig(['sleep', '1000']));
    expect(h.rt(['--shim', 'never', 'run', '-d', '--bundle', bundle, id]).status).toBe(0);
    for (const cmd of ['wait', 'attach', 'logs']) {
      const r = h.rt([cmd, id]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/caller/);
    }
    expect(h.rt(['delete', '--force', id]).status).toBe(0);
  });
});
