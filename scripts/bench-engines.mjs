// npm run bench:engines: wall time of `docker run --rm IMAGE true`, `podman run --rm IMAGE true` and
// `ctr run --rm IMAGE x true` with tsrun and with runc as the engines' runtime (private engine instances, runs
// interleaved; median, 10th-90th percentiles, ratio to runc and the goal, load average). Needs root and the engines (scripts/setup installs them).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Engines, RUNTIME_NAME, missingEngines } from './lib/engines.mjs';
import { makeEnvHermetic } from './lib/hermetic-env.mjs';
import { cell, loadAverage, median } from './lib/stats.mjs';

// Measured in the environment users have (no NODE_EXTRA_CA_CERTS, NODE_OPTIONS, ...): see lib/hermetic-env.mjs.
makeEnvHermetic();

const repo = resolve(import.meta.dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 10);
const missing = missingEngines();
if (missing.length) {
  console.error(`bench:engines needs ${missing.join(', ')}`);
  process.exit(1);
}
const tsrun = join(repo, 'dist/tsrun');
const runtimes = { tsrun, runc: '/usr/sbin/runc' };
if (!existsSync(runtimes.runc)) delete runtimes.runc;
// dockerd reserves the name runc for its built-in entry: the reference is registered under another name.
const engineName = (n) => (n === 'tsrun' ? RUNTIME_NAME : `ref-${n}`);
const work = mkdtempSync(join(tmpdir(), 'tsrun-bench-engines-'));
const engines = new Engines(join(work, 'engines'), tsrun, Object.fromEntries(Object.entries(runtimes).filter(([n]) => n !== 'tsrun').map(([n, p]) => [engineName(n), p])));
const image = 'bench/busybox:1';
try {
  execFileSync(join(repo, 'scripts/make-rootfs'), [join(work, 'rootfs')]);
  engines.start();
  engines.importImage(join(work, 'rootfs'), image);
  let k = 0;
  const scenarios = {
    'docker run --rm IMAGE true': (n, p) => [...engines.docker('run', '--rm', '--runtime', engineName(n), image, 'true'), process.env],
    'podman run --rm IMAGE true': (n, p) => {
      const [cmd, args] = engines.podman('--runtime', p, 'run', '--rm', image, 'true');
      return [cmd, args, engines.podmanEnv()];
    },
    'ctr run --rm IMAGE x true': (n, p) => [...engines.ctr('run', '--rm', '--runc-binary', p, `docker.io/${image}`, `bench-${++k}`, 'true'), process.env],
  };
  const loadBefore = await loadAverage();
  const rows = [];
  for (const [name, make] of Object.entries(scenarios)) {
    const samples = Object.fromEntries(Object.keys(runtimes).map((n) => [n, []]));
    for (let i = 0; i < runs + 1; i++) {
      for (const [n, p] of Object.entries(runtimes)) {
        const [cmd, args, env] = make(n, p);
        const t0 = process.hrtime.bigint();
        const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (r.status !== 0) throw new Error(`${name} with ${n} failed: ${r.stderr}`);
        if (i > 0) samples[n].push(ms); // the first round warms caches and is not counted
      }
    }
    rows.push([name, samples]);
  }
  console.log(`${runs} runs each, interleaved; wall time in ms: median (10th–90th percentile)`);
  console.log(`load average before: ${loadBefore}; after: ${await loadAverage()}; NODE_EXTRA_CA_CERTS and NODE_OPTIONS unset\n`);
  const names = Object.keys(runtimes);
  console.log(['scenario'.padEnd(30), ...names.map((n) => n.padStart(20)), 'tsrun/runc'.padStart(12), 'goal'.padStart(22)].join(''));
  for (const [name, samples] of rows) {
    const ratio = samples.runc ? median(samples.tsrun) / median(samples.runc) : NaN;
    const goal = Number.isNaN(ratio) ? '' : `≤ 1.1× runc ${ratio <= 1.1 ? 'met' : 'NOT met'}`;
    console.log([name.padEnd(30), ...names.map((n) => cell(samples[n], 0).padStart(20)), ratio.toFixed(2).padStart(12), goal.padStart(22)].join(''));
  }
} finally {
  engines.stop();
  rmSync(work, { recursive: true, force: true });
}
