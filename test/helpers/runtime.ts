/**
 * The integration harness: a private state root, bundles made from the shared busybox rootfs, the runtime
 * under test driven through its command line exactly as callers do, and checks that nothing is left behind.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { inject } from 'vitest';
import { native } from '../../src/native/addon.js';
import { defaultSpec } from '../../src/spec/default-spec.js';

const repo = resolve(import.meta.dirname, '..', '..');

/** The runtime under test: tsrun's bundle, or TSRUN_RUNTIME (e.g. /usr/sbin/runc). */
export const RUNTIME = process.env.TSRUN_RUNTIME ?? join(repo, 'dist/tsrun');
export const IS_TSRUN = !process.env.TSRUN_RUNTIME || basename(RUNTIME).startsWith('tsrun');

export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export type Config = ReturnType<typeof baseConfig>;

/** runc's default spec, without a terminal, running `args`. */
export function baseConfig(args: string[]) {
  const spec = defaultSpec() as any;
  spec.process.terminal = false;
  spec.process.args = args;
  spec.root.readonly = false;
  spec.hostname = 'tsrun-test';
  // Device cgroup rules belong to the cgroup work; without them no warning reaches the container's stderr.
  delete spec.linux.resources;
  return spec as {
    ociVersion: string;
    process: any;
    root: { path: string; readonly?: boolean };
    hostname?: string;
    mounts: any[];
    linux: any;
    [k: string]: any;
  };
}

let counter = 0;

export class Harness {
  readonly root: string;
  readonly work: string;
  /** tsrun's shim keeps container logs here (create/run --log-dir), not in the host's /var/log/tsrun. */
  readonly logs: string;
  private ids = new Set<string>();

  constructor() {
    this.work = mkdtempSync(join(tmpdir(), 'tsrun-it-'));
    // Searchable by everyone: a container root mapped to an unprivileged host uid must reach its bundle.
    chmodSync(this.work, 0o755);
    this.root = join(this.work, 'state');
    this.logs = join(this.work, 'logs');
  }

  /** The runtime's argv: the private state root, and for tsrun's create/run the private log directory. */
  argv(args: string[]): string[] {
    const i = args.findIndex((a) => a === 'create' || a === 'run');
    if (!IS_TSRUN || i < 0) return ['--root', this.root, ...args];
    return ['--root', this.root, ...args.slice(0, i + 1), '--log-dir', this.logs, ...args.slice(i + 1)];
  }

  /** Where tsrun's shim keeps the log of container `id` (or of process `execPid` exec'd into it). */
  logDir(id: string, execPid?: number): string {
    const st = JSON.parse(readFileSync(join(this.root, id, 'state.json'), 'utf8')) as { logDir: string };
    return execPid === undefined ? st.logDir : join(st.logDir, 'execs', String(execPid));
  }

  /** A unique container id for this test run. */
  id(prefix = 'c'): string {
    const id = `${prefix}-${process.pid}-${++counter}`;
    this.ids.add(id);
    return id;
  }

  /** A bundle dir with its own copy of the rootfs and the given config. */
  bundle(config: Config, name = `b${++counter}`): string {
    const dir = join(this.work, name);
    mkdirSync(dir, { recursive: true });
    execFileSync('cp', ['-a', inject('rootfsTemplate'), join(dir, 'rootfs')], { stdio: 'ignore' });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
    return dir;
  }

  /**
   * Runs `<runtime> --root <root> ...args` to completion. stdout and stderr are files, as with runtime-tools:
   * a created container inherits them, so pipes would stay open for as long as it lives.
   */
  rt(
    args: string[],
    opts: { input?: string; cwd?: string; timeout?: number; env?: NodeJS.ProcessEnv; extraFds?: number[] } = {},
  ): Result {
    const n = ++counter;
    const outPath = join(this.work, `.out${n}`);
    const errPath = join(this.work, `.err${n}`);
    const out = openSync(outPath, 'w+');
    const err = openSync(errPath, 'w+');
    try {
      const r = spawnSync(RUNTIME, this.argv(args), {
        encoding: 'utf8',
        input: opts.input ?? '',
        stdio: ['pipe', out, err, ...(opts.extraFds ?? [])],
        cwd: opts.cwd,
        timeout: opts.timeout ?? 30_000,
        env: opts.env ?? process.env,
      });
      if (r.error) throw r.error;
      return { status: r.status, signal: r.signal, stdout: readFileSync(outPath, 'utf8'), stderr: readFileSync(errPath, 'utf8') };
    } finally {
      closeSync(out);
      closeSync(err);
      rmSync(outPath, { force: true });
      rmSync(errPath, { force: true });
    }
  }

  /** Like rt, but asynchronous (for a foreground run that the test signals meanwhile). */
  rtAsync(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    return spawn(RUNTIME, this.argv(args), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  state(id: string): { status: string; pid: number; [k: string]: unknown } {
    const r = this.rt(['state', id]);
    if (r.status !== 0) throw new Error(`state ${id} failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** Force-deletes every container this harness made and removes its files. */
  cleanup(): void {
    for (const id of this.ids) this.rt(['delete', '--force', id]);
    // A test that failed half-way may have left mounts in a bundle: never delete through a mount.
    spawnSync('sh', ['-c', `grep -o ' ${this.work}[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
    rmSync(this.work, { recursive: true, force: true });
  }
}

/** Waits (on a pidfd, not a sleep loop) until the process has exited. */
export function waitExit(pid: number, timeoutMs = 10_000): boolean {
  const addon = native();
  let fd: number;
  try {
    fd = addon.pidfdOpen(pid);
  } catch {
    return true;
  }
  try {
    const [ev = 0] = addon.poll([fd], [1], timeoutMs);
    return (ev & 1) !== 0;
  } finally {
    closeSync(fd);
  }
}

/** Pids of processes whose mount table mentions `path` (a leftover container or a leaked mount). */
export function processesUsing(path: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/mountinfo`, 'utf8').includes(path)) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

export function pidAlive(pid: number): boolean {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(st);
  } catch {
    return false;
  }
}

export function stateDirExists(h: Harness, id: string): boolean {
  return existsSync(join(h.root, id));
}

/** The cgroupsPath that tests checking for leftovers give a container: one directory per id, easy to look for. */
export const testCgroupsPath = (id: string) => `/tsrun-test/${id}`;

/** A cgroup directory of the container (made with testCgroupsPath) is left in some hierarchy. */
export function cgroupLeft(id: string): boolean {
  const root = '/sys/fs/cgroup';
  const dirs = [join(root, testCgroupsPath(id))];
  for (const d of readdirSync(root, { withFileTypes: true })) if (d.isDirectory()) dirs.push(join(root, d.name, testCgroupsPath(id)));
  return dirs.some((d) => existsSync(d));
}

/** Polls `cond` (bounded) for effects the test cannot wait on directly, such as a file a container writes. */
export function waitFor(cond: () => boolean, timeoutMs = 10_000): boolean {
  const deadline = Date.now() + timeoutMs;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < deadline) {
    if (cond()) return true;
    Atomics.wait(cell, 0, 0, 20);
  }
  return cond();
}

export function fileLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
