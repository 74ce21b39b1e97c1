/** Running engine commands against the private instances started by global-setup.ts. */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupsNamed as cgroupsNamedAt } from '../helpers/cgroups.js';
import { inject } from 'vitest';
// @ts-expect-error: plain JS module shared with the benchmark
import { Engines, defaultRootOf } from '../../scripts/lib/engines.mjs';

export const IMAGE = 'tsrun-test/busybox:1';
export const engines = new Engines(inject('engineWork'), inject('engineRuntime')) as {
  work: string;
  runtime: string;
  ctr(...a: string[]): [string, string[]];
  docker(...a: string[]): [string, string[]];
  podman(...a: string[]): [string, string[]];
  podmanEnv(): NodeJS.ProcessEnv;
};
export const RUNTIME_ROOT_DEFAULT: string = defaultRootOf(inject('engineRuntime'));
export const IS_TSRUN = /tsrun/.test(inject('engineRuntime'));

export interface Out {
  status: number | null;
  stdout: string;
  stderr: string;
}

export type Engine = 'docker' | 'podman' | 'ctr';

// Engine commands run in the private work directory: conmon writes an "oom" file into its working directory (the
// caller's) when a container is OOM-killed, and nothing of a test run may land in the checkout.
const cwd = engines.work;

function argv(engine: Engine, args: string[]): [string, string[], NodeJS.ProcessEnv] {
  const [cmd, a] = engines[engine](...args);
  return [cmd, a, engine === 'podman' ? engines.podmanEnv() : process.env];
}

export function cli(engine: Engine, args: string[], o: { input?: string; timeout?: number } = {}): Out {
  const [cmd, a, env] = argv(engine, args);
  const r = spawnSync(cmd, a, { cwd, encoding: 'utf8', input: o.input ?? '', env, timeout: o.timeout ?? 90_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function cliAsync(engine: Engine, args: string[]): Promise<Out> {
  const [cmd, a, env] = argv(engine, args);
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, a, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The command under a pseudo-terminal (script(1)), for -t. */
export function withTty(engine: Engine, args: string[]): Out {
  const [cmd, a, env] = argv(engine, args);
  const line = [cmd, ...a].map((x) => `'${x.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', line, '/dev/null'], { cwd, encoding: 'utf8', env, timeout: 90_000, input: '' });
  return { status: r.status, stdout: r.stdout.replace(/\r/g, ''), stderr: r.stderr };
}

let n = 0;
export const uniqueName = (p: string) => `${p}-${process.pid}-${++n}`;

/** Cgroup directories (any hierarchy, three levels) whose name contains `needle`. */
export const cgroupsNamed = (needle: string): string[] => cgroupsNamedAt(needle, 3);

/** The bounding set of this process has CAP_SYS_RESOURCE (24): --privileged needs it. */
export function hostHasCapSysResource(): boolean {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m !== null && (BigInt(`0x${m[1]}`) & (1n << 24n)) !== 0n;
}

/** Re-runs `read` until `ok` holds (bounded): for effects engines report asynchronously (logs, signals). */
export function eventually<T>(read: () => T, ok: (v: T) => boolean, timeoutMs = 10_000): T {
  const deadline = Date.now() + timeoutMs;
  let v = read();
  while (!ok(v) && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    v = read();
  }
  return v;
}
