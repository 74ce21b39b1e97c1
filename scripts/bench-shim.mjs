// npm run bench:shim: memory of the process that supervises each container, ten containers at once:
// tsrun's shim (tsrun create/start from a shell), conmon (podman run -d) and containerd-shim-runc-v2 (ctr run -d),
// all three running the same busybox `sleep`. PSS (proportional set size, /proc/PID/smaps_rollup) is what each
// supervisor really costs when several share their binary's pages. Needs root and the engines (scripts/setup).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Engines, missingEngines } from './lib/engines.mjs';
import { makeEnvHermetic } from './lib/hermetic-env.mjs';

// Measured in the environment users have (no NODE_EXTRA_CA_CERTS, NODE_OPTIONS, ...): see lib/hermetic-env.mjs.
makeEnvHermetic();

const repo = resolve(import.meta.dirname, '..');
const N = Number(process.env.BENCH_CONTAINERS ?? 10);
const tsrun = join(repo, 'dist/tsrun.cjs');
const work = mkdtempSync(join(tmpdir(), 'tsrun-bench-shim-'));

function pssKiB(pid) {
  const m = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return Number(m[1]);
}
function rssKiB(pid) {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}
function pidsNamed(comm, argvPart) {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/comm`, 'utf8').trim() === comm && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(argvPart);
      } catch {
        return false;
      }
    })
    .map(Number);
}
function report(name, pids) {
  if (pids.length !== N) throw new Error(`${name}: expected ${N} processes, found ${pids.length}`);
  const pss = pids.map(pssKiB);
  const rss = pids.map(rssKiB);
  const avg = (xs) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
  console.log(`${name.padEnd(26)} ${String(avg(pss)).padStart(8)} ${String(avg(rss)).padStart(8)} ${String(pss.reduce((a, b) => a + b, 0)).padStart(10)}`);
}

const rootfs = join(work, 'rootfs');
execFileSync(join(repo, 'scripts/make-rootfs'), [rootfs]);
console.log(`${N} containers each (busybox sleep); KiB per supervisor process\n`);
console.log(`${'supervisor'.padEnd(26)} ${'PSS avg'.padStart(8)} ${'RSS avg'.padStart(8)} ${'PSS total'.padStart(10)}`);

// tsrun: create + start from a process that exits, as a person at a shell does.
const root = join(work, 'tsrun-state');
const bundle = join(work, 'bundle');
mkdirSync(bundle);
execFileSync(tsrun, ['spec', '--bundle', bundle]);
const cfg = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
cfg.process.terminal = false;
cfg.process.args = ['sleep', '1000'];
cfg.root = { path: rootfs };
writeFileSync(join(bundle, 'config.json'), JSON.stringify(cfg));
const ids = Array.from({ length: N }, (_, i) => `pss-${i}`);
try {
  for (const id of ids) {
    const r = spawnSync(tsrun, ['--root', root, 'run', '-d', '--bundle', bundle, id], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`tsrun run -d ${id} failed`);
  }
  const shims = ids.map((id) => JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8')).shim.pid);
  report('tsrun shim', shims);
} finally {
  for (const id of ids) spawnSync(tsrun, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
}

const missing = missingEngines();
if (missing.length) {
  console.log(`(conmon and containerd-shim-runc-v2 not measured: ${missing.join(', ')} missing)`);
} else {
  const engines = new Engines(join(work, 'engines'), '/usr/sbin/runc');
  try {
    engines.start();
    engines.importImage(rootfs, 'bench/busybox:1');
    for (let i = 0; i < N; i++) {
      const [p, pargs] = engines.podman('run', '-d', '--name', `pss-${i}`, 'bench/busybox:1', 'sleep', '1000');
      execFileSync(p, pargs, { stdio: ['ignore', 'ignore', 'inherit'], env: engines.podmanEnv() });
      const [c, cargs] = engines.ctr('run', '-d', 'docker.io/bench/busybox:1', `pss-${process.pid}-${i}`, 'sleep', '1000');
      execFileSync(c, cargs, { stdio: ['ignore', 'ignore', 'inherit'] });
    }
    report('conmon (podman)', pidsNamed('conmon', join(work, 'engines')));
    report('containerd-shim-runc-v2', pidsNamed('containerd-shim', engines.containerdSock));
  } finally {
    engines.stop();
  }
}
rmSync(work, { recursive: true, force: true });
