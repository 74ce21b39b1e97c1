// npm run bench: every verb of tsrun, runc and crun timed by its own name, interleaved (one sample of each
// runtime in turn), on the same busybox bundles; medians with the 10th–90th percentile spread, the ratio to runc
// and the goal for each verb. Then 100 concurrent `delete --force`, then pod start latency through containerd's CRI
// (scripts/bench-cri.mjs). Needs root.
//
// Measured as engines call the runtimes: stdio on /dev/null, the caller supervising (tsrun --shim never, which
// is what tsrun chooses by itself under containerd's shim or conmon). crun 1.8 refuses a hybrid cgroup host, so
// on one the whole benchmark runs in a private mount namespace without the cgroup2 mount (the host is untouched;
// every runtime then sees the same v1 hierarchies).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeEnvHermetic } from './lib/hermetic-env.mjs';
import { cell, loadAverage, median } from './lib/stats.mjs';

// Measured in the environment users have (no NODE_EXTRA_CA_CERTS, NODE_OPTIONS, ...): see lib/hermetic-env.mjs.
makeEnvHermetic();

const repo = resolve(import.meta.dirname, '..');
const runs = Number(process.env.BENCH_RUNS ?? 30);
const parallel = Number(process.env.BENCH_PARALLEL ?? 100);

if (process.argv[2] !== '--inside' && existsSync('/sys/fs/cgroup/unified')) {
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'umount /sys/fs/cgroup/unified && exec "$0" "$@"', process.execPath, ...process.argv.slice(1), '--inside'], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

const addon = createRequire(import.meta.url)(join(repo, 'build/Release/tsrun.node'));
const work = mkdtempSync(join(tmpdir(), 'tsrun-bench-'));

/**
 * A bundle running `args` with runc's default spec (from `tsrun spec`) at a version every runtime accepts; with
 * `specArgs` ['--rootless'], the config an ordinary user gets (a user namespace, no network namespace).
 */
function bundle(name, args, specArgs = []) {
  const dir = join(work, name);
  spawnSync(join(repo, 'scripts/make-rootfs'), [join(dir, 'rootfs')], { stdio: 'ignore' });
  const spec = spawnSync(join(repo, 'dist/tsrun'), ['spec', ...specArgs, '--bundle', dir], { stdio: 'ignore' });
  if (spec.status !== 0) throw new Error(`tsrun spec ${specArgs.join(' ')} failed (${spec.status ?? spec.signal})`);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  cfg.process.terminal = false;
  cfg.process.args = args;
  cfg.ociVersion = '1.0.2'; // crun 1.8 refuses newer versions
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  return dir;
}

const sleeping = bundle('sleeping', ['sleep', '1000']);
const quick = bundle('quick', ['true']);
const userns = bundle('userns', ['sleep', '1000'], ['--rootless']);
const runtimes = [
  ['runc', '/usr/sbin/runc', []],
  ['crun', '/usr/bin/crun', []],
  ['tsrun', join(repo, 'dist/tsrun'), ['--shim', 'never']],
].filter(([, p]) => existsSync(p));

// Containers inherit the runtime's stdio: /dev/null, and a file for stderr (a pipe would keep spawnSync
// waiting for as long as a container holds it). Only `state` output is read, and `state` starts no container.
const errFile = join(work, 'stderr');
const errFd = openSync(errFile, 'w+');

function call(rt, args, read = false) {
  const [name, path, globals] = rt;
  const argv = ['--root', join(work, `root-${name}`), ...globals, ...args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(path, argv, { stdio: ['ignore', read ? 'pipe' : 'ignore', errFd], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) {
    const tail = readFileSync(errFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${name} ${args.join(' ')} failed (${r.status ?? r.signal}): ${tail}`);
  }
  return { ms, out: r.stdout ?? '' };
}

const VERBS = ['create', 'create (user ns)', 'state', 'start', 'exec /bin/true', 'ps --format json', 'list', 'kill', 'delete (stopped)', 'delete -f (running)', 'run /bin/true'];
const samples = Object.fromEntries(runtimes.map(([n]) => [n, Object.fromEntries(VERBS.map((v) => [v, []]))]));

// Ids carry the runtime's name: with the default cgroupsPath each runtime makes /<id> in every hierarchy.
function lifecycle(rt, i) {
  const s = samples[rt[0]];
  const id = `${rt[0]}-b${i}`;
  s.create.push(call(rt, ['create', '--bundle', sleeping, id]).ms);
  s.state.push(call(rt, ['state', id]).ms);
  s.start.push(call(rt, ['start', id]).ms);
  s['exec /bin/true'].push(call(rt, ['exec', id, 'true']).ms);
  s['ps --format json'].push(call(rt, ['ps', '--format', 'json', id]).ms);
  s.list.push(call(rt, ['list']).ms);
  const { pid } = JSON.parse(call(rt, ['state', id], true).out);
  const pidfd = addon.pidfdOpen(pid);
  s.kill.push(call(rt, ['kill', id, 'KILL']).ms);
  addon.poll([pidfd], [1], 10_000);
  s['delete (stopped)'].push(call(rt, ['delete', id]).ms);
  const f = `${rt[0]}-f${i}`;
  call(rt, ['create', '--bundle', sleeping, f]);
  call(rt, ['start', f]);
  s['delete -f (running)'].push(call(rt, ['delete', '--force', f]).ms);
  s['run /bin/true'].push(call(rt, ['run', '--bundle', quick, `${rt[0]}-r${i}`]).ms);
  const u = `${rt[0]}-u${i}`;
  s['create (user ns)'].push(call(rt, ['create', '--bundle', userns, u]).ms);
  call(rt, ['delete', '--force', u]);
}

/** 100 running containers, then 100 concurrent delete --force: each call's wall time. */
async function concurrentDeletes(rt) {
  const [name, path, globals] = rt;
  for (let i = 0; i < parallel; i++) {
    call(rt, ['create', '--bundle', sleeping, `${name}-p${i}`]);
    call(rt, ['start', `${name}-p${i}`]);
  }
  const times = await Promise.all(
    Array.from({ length: parallel }, (_, i) => {
      const t0 = process.hrtime.bigint();
      const p = spawn(path, ['--root', join(work, `root-${name}`), ...globals, 'delete', '--force', `${name}-p${i}`], { stdio: 'ignore' });
      return new Promise((res, rej) => p.on('exit', (code) => (code === 0 ? res(Number(process.hrtime.bigint() - t0) / 1e6) : rej(new Error(`${name} delete -f ${name}-p${i}: ${code}`)))));
    }),
  );
  return times;
}

const GOALS = {
  create: 1.0,
  'run /bin/true': 1.0,
  'exec /bin/true': 1.0,
  start: 1.5,
  state: 1.5,
  kill: 1.5,
  'delete (stopped)': 1.5,
  list: 1.5,
  'ps --format json': 1.5,
};

try {
  const loadBefore = await loadAverage();
  for (const rt of runtimes) lifecycle(rt, 'warm'); // caches, binaries, the seccomp filter cache
  for (const n of Object.keys(samples)) for (const v of VERBS) samples[n][v].length = 0;
  for (let i = 0; i < runs; i++) for (const rt of runtimes) lifecycle(rt, i);
  const names = runtimes.map(([n]) => n);
  console.log(`${runs} samples per cell, runtimes interleaved; wall time in ms: median (10th–90th percentile)`);
  console.log(`load average before: ${loadBefore}; after: ${await loadAverage()}; NODE_EXTRA_CA_CERTS and NODE_OPTIONS unset\n`);
  const w = 24;
  console.log(['verb'.padEnd(22), ...names.map((n) => n.padStart(w)), 'tsrun/runc'.padStart(12), 'goal'.padStart(26)].join(''));
  for (const v of VERBS) {
    const ratio = samples.runc ? median(samples.tsrun[v]) / median(samples.runc[v]) : NaN;
    let goal = GOALS[v] !== undefined ? `≤ ${GOALS[v].toFixed(1)}× runc` : '';
    let met = GOALS[v] !== undefined ? ratio <= GOALS[v] : true;
    if (v === 'delete -f (running)' && samples.crun) {
      goal = '≤ crun';
      met = median(samples.tsrun[v]) <= median(samples.crun[v]);
    }
    console.log(
      [v.padEnd(22), ...names.map((n) => cell(samples[n][v]).padStart(w)), ratio.toFixed(2).padStart(12), (goal ? `${goal} ${met ? 'met' : 'NOT met'}` : '').padStart(26)].join(''),
    );
  }
  console.log(`\n${parallel} concurrent delete --force of running containers (ms per call):`);
  const slowest = {};
  for (const rt of runtimes) {
    const t = await concurrentDeletes(rt);
    slowest[rt[0]] = Math.max(...t);
    console.log(`  ${rt[0].padEnd(6)} slowest ${Math.max(...t).toFixed(0)}, median ${median(t).toFixed(0)}`);
  }
  if (slowest.runc !== undefined) console.log(`  goal: tsrun's slowest ≤ runc's slowest: ${slowest.tsrun <= slowest.runc ? 'met' : 'NOT met'}`);
  // Pod start through containerd's CRI (scripts/bench-cri.mjs), in this same mount namespace.
  const cri = spawnSync(process.execPath, [join(repo, 'scripts/bench-cri.mjs'), '--inside'], { stdio: 'inherit' });
  if (cri.status !== 0) console.log(`\npod start through the CRI: failed (${cri.status ?? cri.signal})`);
} finally {
  for (const [name, path] of runtimes) {
    const root = join(work, `root-${name}`);
    if (!existsSync(root)) continue;
    for (const id of spawnSync('ls', [root], { encoding: 'utf8' }).stdout.split('\n').filter((x) => x && !x.startsWith('@'))) {
      spawnSync(path, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
    }
  }
  rmSync(work, { recursive: true, force: true });
}
