// npm run bench: wall time of container lifecycles with tsrun, runc and crun on the same bundle
// (busybox rootfs, `true`), runs interleaved, medians reported. Needs root.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeEnvHermetic } from './lib/hermetic-env.mjs';

// Measured in the environment users have (no NODE_EXTRA_CA_CERTS, NODE_OPTIONS, ...): see lib/hermetic-env.mjs.
makeEnvHermetic();

const repo = resolve(import.meta.dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 20);
const work = mkdtempSync(join(tmpdir(), 'tsrun-bench-'));
const bundle = join(work, 'bundle');
execFileSync(join(repo, 'scripts/make-rootfs'), [join(bundle, 'rootfs')]);
// Use `tsrun spec` so the bench needs nothing but the built CLI.
execFileSync(join(repo, 'dist/tsrun'), ['spec', '--bundle', bundle]);
const cfgPath = join(bundle, 'config.json');
const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
cfg.process.terminal = false;
cfg.process.args = ['true'];
cfg.ociVersion = '1.0.2'; // the version every runtime here accepts (crun 1.8 refuses newer ones)
writeFileSync(cfgPath, JSON.stringify(cfg));

const candidates = [['tsrun', join(repo, 'dist/tsrun')], ['runc', '/usr/sbin/runc'], ['crun', '/usr/bin/crun']];
// A runtime that cannot run the bundle on this host (crun 1.8 refuses hybrid cgroup hosts) is left out, said so.
const runtimes = candidates.filter(([n, p]) => {
  if (!existsSync(p)) return false;
  const r = spawnSync(p, ['--root', join(work, `probe-${n}`), 'run', '--bundle', bundle, 'probe'], { encoding: 'utf8' });
  if (r.status === 0) return true;
  console.log(`${n}: cannot run the bundle here, left out: ${(r.stderr || '').trim().split('\n').pop()}`);
  return false;
});
const scenarios = {
  'run (create+start+wait+delete)': (rt, root, id) => [[rt, '--root', root, 'run', '--bundle', bundle, id]],
  'create, start, delete': (rt, root, id) => [
    [rt, '--root', root, 'create', '--bundle', bundle, id],
    [rt, '--root', root, 'start', id],
    [rt, '--root', root, 'delete', '--force', id],
  ],
  state: (rt, root) => [[rt, '--root', root, 'list']],
};

function time(cmds) {
  const t0 = process.hrtime.bigint();
  for (const [cmd, ...args] of cmds) {
    const r = spawnSync(cmd, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

console.log(`${runs} runs each, interleaved; median wall time in ms\n`);
console.log(['scenario'.padEnd(32), ...runtimes.map(([n]) => n.padStart(8))].join(''));
for (const [name, make] of Object.entries(scenarios)) {
  const samples = Object.fromEntries(runtimes.map(([n]) => [n, []]));
  for (let i = 0; i < runs; i++) {
    for (const [n, p] of runtimes) {
      const root = join(work, `root-${n}`);
      samples[n].push(time(make(p, root, `bench-${i}`)));
    }
  }
  console.log([name.padEnd(32), ...runtimes.map(([n]) => median(samples[n]).toFixed(1).padStart(8))].join(''));
}
rmSync(work, { recursive: true, force: true });
