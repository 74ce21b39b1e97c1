/**
 * Commands as the rootless suite's user (global-setup.ts): a clean login environment (HOME, USER, LOGNAME, PATH,
 * LANG, XDG_RUNTIME_DIR), real and effective ids of the user with its own groups only (setpriv --init-groups),
 * started in the user's delegated cgroup on pure cgroup v2. Bundles made by the runtime under test's
 * `spec --rootless`, and the checks that nothing is left behind.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cgroupsNamed as cgroupsNamedAt } from '../helpers/cgroups.js';
import { expect, inject } from 'vitest';
// @ts-expect-error: plain JS module shared with the global setup
import { entriesOwned, processesOf, userEnvOf } from './world.mjs';

export const W = inject('rootless');
export const RUNTIME = W.runtime;
/** runc keeps a user's state in $XDG_RUNTIME_DIR/runc; tsrun's is $XDG_RUNTIME_DIR/tsrun: the runtime's name. */
export const NAME = basename(RUNTIME);
/** Where runc 1.1.5 is worse than what tsrun does, the tests say both (the runc branch proves the scenario). */
export const IS_RUNC = NAME === 'runc';
export const STATE_ROOT = join(W.xdg, NAME);
/** root's default state root, which a user can neither create nor write: /run/runc, /run/tsrun. */
export const ROOT_DEFAULT_ROOT = `/run/${NAME}`;
export const PURE_V2 = W.delegated !== '';
export const IMAGE = 'localhost/tsrun-rl/busybox:1';

export interface Out {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface AsUserOptions {
  /** Added to (or, with undefined, removed from) the login environment. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  timeout?: number;
  /** Pure v2: leave the command where the test runner is (the root cgroup), outside the delegated subtree. */
  outsideDelegation?: boolean;
}

const outDir = mkdtempSync(join(W.work, '.out-'));
let calls = 0;

export function asUser(argv: string[], o: AsUserOptions = {}): Out {
  const env: Record<string, string> = { ...userEnvOf(W) };
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  let cmd = [
    'setpriv',
    '--reuid', String(W.uid),
    '--regid', String(W.gid),
    '--init-groups',
    'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ...argv,
  ];
  // As a login under systemd would be: in the user's delegated cgroup (only root may move it there).
  if (W.leaf && !o.outsideDelegation) cmd = ['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', W.leaf, ...cmd];
  // stdout and stderr are files, never pipes: a detached container (create, run -d) keeps the runtime's stdio,
  // and a pipe would hold this call until the container ends.
  const out = openSync(join(outDir, `${++calls}.out`), 'w+');
  const err = openSync(join(outDir, `${calls}.err`), 'w+');
  try {
    const r = spawnSync(cmd[0] as string, cmd.slice(1), {
      cwd: o.cwd ?? W.home,
      input: o.input,
      stdio: [o.input === undefined ? 'ignore' : 'pipe', out, err],
      timeout: o.timeout ?? 60_000,
    });
    if (r.error) throw r.error;
    return { status: r.status, stdout: readFileSync(join(outDir, `${calls}.out`), 'utf8'), stderr: readFileSync(join(outDir, `${calls}.err`), 'utf8') };
  } finally {
    closeSync(out);
    closeSync(err);
    rmSync(join(outDir, `${calls}.out`), { force: true });
    rmSync(join(outDir, `${calls}.err`), { force: true });
  }
}

/** The runtime under test, as the user. */
export function rt(args: string[], o: AsUserOptions = {}): Out {
  return asUser([RUNTIME, ...args], o);
}

/** Fails with the command's output when its status is not `status`. */
export function ok(r: Out, status = 0): Out {
  if (r.status !== status) expect.fail(`exit ${r.status} (wanted ${status})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** argv under a pseudo-terminal of script(1), as the user (exec -t needs a terminal on stdin). */
export function asUserWithTty(argv: string[], o: AsUserOptions = {}): Out {
  const r = asUser(['script', '-qec', argv.map(q).join(' '), '/dev/null'], o);
  // The terminal's echo of script's end of input (^@ or ^D, stdin being /dev/null) comes whenever script reaches
  // it: before the output, or between two of its lines.
  return { ...r, stdout: r.stdout.replace(/\r/g, '').replace(/\^[@D]/g, '') };
}

let n = 0;
export const uniqueId = (p = 'rl') => `${p}-${process.pid}-${++n}`;

export type Config = Record<string, any>;

/**
 * A bundle owned by the user: a copy of the busybox rootfs and the config.json of the runtime under test's
 * `spec --rootless` (run as the user, in the bundle), made non-interactive (`terminal: false`) and running
 * `args`, then changed by `patch`.
 */
export function bundle(args: string[], patch: (c: Config) => void = () => {}): { dir: string; config: Config } {
  const dir = join(W.work, uniqueId('bundle'));
  ok(asUser(['mkdir', dir]));
  ok(asUser(['cp', '-a', W.template, join(dir, 'rootfs')]));
  ok(rt(['spec', '--rootless'], { cwd: dir }));
  const file = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  config.process.terminal = false;
  config.process.args = args;
  patch(config);
  writeFileSync(file, JSON.stringify(config, null, 2));
  chownSync(file, W.uid, W.gid);
  return { dir, config };
}

/** A directory of the user's under the work directory, for bind mounts. */
export function userDir(mode = '0755'): string {
  const dir = join(W.work, uniqueId('data'));
  ok(asUser(['mkdir', '-m', mode, dir]));
  return dir;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Re-reads until `good` holds (bounded): a runtime's children may need a moment to be reaped. */
export function eventually<T>(read: () => T, good: (v: T) => boolean, ms = 5_000): T {
  const deadline = Date.now() + ms;
  let v = read();
  while (!good(v) && Date.now() < deadline) {
    sleep(100);
    v = read();
  }
  return v;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/**
 * The user's processes and its containers' (subordinate ids), except podman's rootless pause process (which
 * holds podman's user namespace for the user's later commands, by design): `pid cmdline` each.
 */
export function userProcesses(): string[] {
  return (processesOf(W.uid, [[W.subStart, W.subCount]]) as number[])
    .filter((p) => comm(p) !== 'podman pause')
    .map((p) => `${p} ${cmdline(p)}`)
    .filter((l) => !/^\d+ $/.test(l));
}

/** Waits (bounded) for the user to have no process left; returns what is left. */
export function processesLeft(ms = 5_000): string[] {
  return eventually(userProcesses, (l) => l.length === 0, ms);
}

/** Cgroup directories (any hierarchy, four levels) whose name contains `needle`. */
export const cgroupsNamed = (needle: string): string[] => cgroupsNamedAt(needle, 4);

/**
 * Cgroups named by `needle`. runc 1.1.5 leaves the container's cgroup in the user's delegated subtree when the
 * id mapping fails (newuidmap/newgidmap refused): the user can remove it; with `delegatedCgroupLeftByRunc` the
 * reference tolerates that, for runc only.
 */
export function cgroupsLeft(needle: string, o: { delegatedCgroupLeftByRunc?: boolean } = {}): string[] {
  const tolerated = (p: string) => o.delegatedCgroupLeftByRunc && NAME === 'runc' && PURE_V2 && p.startsWith(W.delegated + '/');
  return cgroupsNamed(needle).filter((p) => !tolerated(p));
}

/**
 * Everything of container `id` that a user could not clean up, or that should be gone: its state directory
 * (under the user's root and root's default), cgroups named by it, and files of the user's or of its
 * subordinate ids directly in /tmp, /var/tmp, /dev/shm and /run (outside the suite's own directories).
 */
export function leftoversOf(id: string, o: { delegatedCgroupLeftByRunc?: boolean } = {}): string[] {
  const left: string[] = [];
  for (const root of [STATE_ROOT, ROOT_DEFAULT_ROOT]) if (existsSync(join(root, id))) left.push(join(root, id));
  left.push(...cgroupsLeft(id, o));
  left.push(...foreignFiles());
  return left;
}

/** Files owned by the user or its subordinate ids in shared places it cannot clean, outside the suite's own. */
export function foreignFiles(): string[] {
  const mine = (u: number) => u === W.uid || (u >= W.subStart && u < W.subStart + W.subCount);
  const allowed = new Set([W.work, W.xdg, W.home]);
  // podman's lock file (rootless podman keeps it for the user's later commands; the user may remove it).
  const podmanLock = `/dev/shm/libpod_rootless_lock_${W.uid}`;
  return (entriesOwned(['/tmp', '/var/tmp', '/dev/shm', '/run', '/run/user'], mine) as string[]).filter((p: string) => !allowed.has(p) && p !== podmanLock);
}

/** Ids under the user's state root. */
export function stateEntries(): string[] {
  try {
    return readdirSync(STATE_ROOT);
  } catch {
    return [];
  }
}
