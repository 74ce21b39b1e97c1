// npm run bench:cri (and the last part of npm run bench): pod start latency through containerd's CRI plugin, as a
// kubelet starts a pod: RunPodSandbox (pause container, CNI bridge network), CreateContainer, StartContainer,
// timed from the first call until StartContainer has returned and ContainerStatus reads CONTAINER_RUNNING.
// One private containerd (scripts/lib/cri.mjs) with one runtime handler per runtime (runc v2 shim, BinaryName =
// tsrun, runc, crun); the runtimes interleaved, one sample of each in turn; median and 10th–90th percentile, ratio
// to runc. Pods are removed between samples, untimed. Needs root.
//
// crun 1.8 refuses a hybrid cgroup host: as in bench.mjs, on one the whole benchmark (containerd and its shims
// included) runs in a private mount namespace without the cgroup2 mount; the host is untouched.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUSYBOX_IMAGE, PrivateCri, missingCri } from './lib/cri.mjs';
import { makeEnvHermetic } from './lib/hermetic-env.mjs';
import { cell, loadAverage, median } from './lib/stats.mjs';

// Measured in the environment users have (no NODE_EXTRA_CA_CERTS, NODE_OPTIONS, ...): see lib/hermetic-env.mjs.
makeEnvHermetic();

const repo = resolve(import.meta.dirname, '..');
const runs = Number(process.env.BENCH_CRI_RUNS ?? 20);

if (!process.argv.includes('--inside') && existsSync('/sys/fs/cgroup/unified')) {
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'umount /sys/fs/cgroup/unified && exec "$0" "$@"', process.execPath, ...process.argv.slice(1), '--inside'], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

const missing = missingCri();
if (missing.length) {
  console.error(`bench:cri needs ${missing.join(', ')}`);
  process.exit(1);
}
const runtimes = Object.fromEntries(
  [
    ['runc', '/usr/sbin/runc'],
    ['crun', '/usr/bin/crun'],
    ['tsrun', join(repo, 'dist/tsrun')],
  ].filter(([, p]) => existsSync(p)),
);

// The CRI client is TypeScript (test/cri/client.ts): bundled here by esbuild, its packages left to node_modules.
const cache = join(repo, '.cache', 'bench-cri');
mkdirSync(cache, { recursive: true });
const { build } = await import('esbuild');
await build({ entryPoints: [join(repo, 'test/cri/client.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: join(cache, 'client.mjs'), logLevel: 'warning' });
const { CriClient } = await import(pathToFileURL(join(cache, 'client.mjs')).href);

const work = mkdtempSync(join(tmpdir(), 'tsrun-bench-cri-'));
const cri = new PrivateCri(join(work, 'cri'), runtimes);
let client;
try {
  await cri.start();
  cri.importTestImages(repo);
  client = new CriClient(cri.sock, join(repo, 'test/cri/proto/api.proto'));
  let k = 0;
  /** One pod: sandbox, then one container running `sleep`; the wall time to running, and the sandbox's part. */
  async function podStart(handler) {
    const uid = `bench-${handler}-${++k}`;
    const config = {
      metadata: { name: uid, uid, namespace: 'bench', attempt: 0 },
      hostname: uid,
      logDirectory: join(cri.logs, uid),
      linux: { cgroupParent: `${cri.cgroupParent}/${uid}`, securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    };
    const container = {
      metadata: { name: 'main', attempt: 0 },
      image: { image: BUSYBOX_IMAGE },
      command: ['sleep', '1000'],
      logPath: 'main.log',
      linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    };
    const t0 = process.hrtime.bigint();
    const pod = await client.runPodSandbox(config, handler);
    const t1 = process.hrtime.bigint();
    const c = await client.createContainer(pod, container, config);
    await client.startContainer(c);
    const { status } = await client.containerStatus(c);
    const t2 = process.hrtime.bigint();
    if (status.state !== 'CONTAINER_RUNNING') throw new Error(`${handler}: container ${c} is ${status.state}`);
    await client.stopContainer(c, 0);
    await client.removeContainer(c);
    await client.stopPodSandbox(pod);
    await client.removePodSandbox(pod);
    return { total: Number(t2 - t0) / 1e6, sandbox: Number(t1 - t0) / 1e6 };
  }
  const samples = Object.fromEntries(Object.keys(runtimes).map((n) => [n, { total: [], sandbox: [] }]));
  const loadBefore = await loadAverage();
  for (const n of Object.keys(runtimes)) await podStart(n); // warm: caches, the images' snapshots
  for (let i = 0; i < runs; i++) {
    for (const n of Object.keys(runtimes)) {
      const s = await podStart(n);
      samples[n].total.push(s.total);
      samples[n].sandbox.push(s.sandbox);
    }
  }
  const names = Object.keys(runtimes);
  console.log(`\nPod start through containerd 1.6's CRI (runc v2 shim, BinaryName = each runtime; bridge CNI)`);
  console.log(`${runs} samples per cell, runtimes interleaved; wall time in ms: median (10th–90th percentile)`);
  console.log(`load average before: ${loadBefore}; after: ${await loadAverage()}; NODE_EXTRA_CA_CERTS and NODE_OPTIONS unset\n`);
  const w = 24;
  console.log(['phase'.padEnd(34), ...names.map((n) => n.padStart(w)), 'tsrun/runc'.padStart(12), 'goal'.padStart(22)].join(''));
  for (const [key, label] of [
    ['sandbox', 'RunPodSandbox'],
    ['total', 'RunPodSandbox → container running'],
  ]) {
    const ratio = samples.runc && samples.tsrun ? median(samples.tsrun[key]) / median(samples.runc[key]) : NaN;
    const goal = key === 'total' && !Number.isNaN(ratio) ? `≤ 1.0× runc ${ratio <= 1.0 ? 'met' : 'NOT met'}` : '';
    console.log([label.padEnd(34), ...names.map((n) => cell(samples[n][key]).padStart(w)), ratio.toFixed(2).padStart(12), goal.padStart(22)].join(''));
  }
} finally {
  client?.close();
  cri.stop();
  rmSync(work, { recursive: true, force: true });
}
