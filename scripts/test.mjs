#!/usr/bin/env node
// npm test: build, run the whole suite on this host, then — when this host is not pure cgroup v2 — the cgroup
// tests again inside a throwaway pure-v2 VM, so both cgroup layouts are exercised. Prints one summary line:
// "N passed, N failed, N skipped". Arguments are passed to vitest (both runs).
//
// The VM runner is found at $TSRUN_CGROUP2_VM or ../shared/vm/run-in-cgroup2-vm. Without one (and on a host
// that is not v2) the v2 run is reported as skipped, never as passed. The same VM then runs the systemd cgroup
// driver against a real systemd started there (test/systemd/driver.sh, TAP) and rootless cgroups as an ordinary
// user of that systemd (test/systemd/rootless-driver.sh, TAP); without a VM those are skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeEnvHermetic } from './lib/hermetic-env.mjs';

// The suite's environment is its own, not the caller's (see lib/hermetic-env.mjs): the VM and vitest inherit it.
makeEnvHermetic();

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const reports = join(repo, '.cache', 'test-reports');
const args = process.argv.slice(2);
// The tests whose code paths differ on pure v2: cgroups, exec (cloned into the container's cgroup from inside its
// cgroup namespace), the shim (its OOM record reads the v2 counters), the native front end (cgroup.kill,
// cgroup.freeze and cgroup.events of a v2 container), and rootless containers (a delegated subtree).
const CGROUP2_FILES = [
  'test/integration/cgroups.test.ts',
  'test/integration/exec.test.ts',
  'test/integration/shim.test.ts',
  'test/integration/front.test.ts',
];
// The rootless project too: on the host its cgroup v1 scenarios run, in the VM its delegated v2 ones.
const CGROUP2_SUBSET = ['--project', 'integration', '--project', 'rootless', ...CGROUP2_FILES, 'test/rootless/'];

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: repo, stdio: 'inherit' });
  return r.status ?? 1;
}

function counts(file) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests, ok: true };
  } catch {
    return { passed: 0, failed: 1, skipped: 0, ok: false };
  }
}

/**
 * A guest whose kernel locks up (seen under emulation, a few times in many boots: both CPUs in a soft lockup as
 * systemd starts) ends only by the VM runner's timeout (status 124). Such a VM is booted again, up to `boots`
 * boots in all, saying so; `dropped` gets each timed-out result. A test's own failure is never retried.
 */
function bootVm(boots, timeoutS, boot, dropped) {
  let r = boot();
  for (let left = boots - 1; r.status === 124 && left > 0; left--) {
    dropped(r);
    console.log(`(the VM did not finish within ${timeoutS} s; its output above does not count: booting it again)`);
    r = boot();
  }
  return r;
}

function hostIsV2() {
  const mi = readFileSync('/proc/self/mountinfo', 'utf8');
  return /^\S+ \S+ \S+ \S+ \/sys\/fs\/cgroup \S+ .*- cgroup2 /m.test(mi);
}

function vmRunner() {
  const candidates = [process.env.TSRUN_CGROUP2_VM, join(repo, '..', 'shared', 'vm', 'run-in-cgroup2-vm')];
  return candidates.find((c) => c && existsSync(c));
}

rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

if (run('npm', ['run', 'build']) !== 0) {
  console.log('0 passed, 1 failed, 0 skipped (build failed)');
  process.exit(1);
}

const total = { passed: 0, failed: 0, skipped: 0 };
const add = (c) => {
  total.passed += c.passed;
  total.failed += c.failed;
  total.skipped += c.skipped;
};
const reporters = (file) => ['--reporter=default', '--reporter=json', `--outputFile=${file}`];

const hostReport = join(reports, 'host.json');
const hostStatus = run('npx', ['vitest', 'run', ...reporters(hostReport), ...args]);
const host = counts(hostReport);
add(host);
let failed = hostStatus !== 0;

let v2Line = 'cgroup v2: this host is cgroup v2, covered by the run above';
if (!hostIsV2()) {
  const vm = vmRunner();
  if (vm) {
    console.log(`\n== cgroup tests again on pure cgroup v2 (${vm})`);
    const vmReport = join(reports, 'cgroup2.json');
    // ~3-4 min; two CPUs here, as vitest runs files in parallel. A timed-out boot's partial report is dropped.
    const boot = () => ({ status: run(vm, ['--timeout', '1200', repo, '--', 'npx', 'vitest', 'run', ...CGROUP2_SUBSET, ...reporters(vmReport), ...args]) });
    const { status } = bootVm(2, 1200, boot, () => rmSync(vmReport, { force: true }));
    const c = counts(vmReport);
    add(c);
    failed ||= status !== 0;
    v2Line = `cgroup v2 (VM): ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
  } else {
    // Counted as skipped tests so the summary cannot read as full coverage.
    const rootlessFiles = readdirSync(join(repo, 'test/rootless'))
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => `test/rootless/${f}`);
    const n = [...CGROUP2_FILES, ...rootlessFiles].map((f) => (readFileSync(join(repo, f), 'utf8').match(/\bit(\.skipIf\([^)]*\))?\(/g) ?? []).length).reduce((a, b) => a + b, 0);
    total.skipped += n;
    v2Line = `cgroup v2: SKIPPED ${n} tests (host is not v2 and no VM runner; set TSRUN_CGROUP2_VM)`;
  }
}

// The systemd driver against a real systemd (PID 1 of its own namespaces in the VM), then rootless cgroups there:
// an ordinary user's containers in its own systemd manager's scopes, in a delegated cgroup, and in none. TAP
// scripts, each line counted; a plan line not met counts the missing lines as failed.
// These scripts run in one vCPU (as fast: 30-40 s; the guest lockups seen had both CPUs waiting).
function tapInVm(vm, title, script, planned, env = {}) {
  console.log(`\n== ${title} (${vm})`);
  const timeout = 300;
  const boot = () => spawnSync(vm, ['--cpus', '1', '--timeout', String(timeout), repo, '--', join(repo, script)], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...env } });
  const r = bootVm(3, timeout, boot, (timedOut) => {
    process.stdout.write(timedOut.stdout ?? '');
    process.stdout.write(timedOut.stderr ?? '');
  });
  process.stdout.write(r.stdout ?? '');
  if (r.status !== 0) process.stdout.write(r.stderr ?? '');
  const out = r.stdout ?? '';
  const ok = (out.match(/^ok \d+/gm) ?? []).length;
  const notOk = Math.max((out.match(/^not ok \d+/gm) ?? []).length, planned - ok);
  add({ passed: ok, failed: notOk, skipped: 0 });
  failed ||= r.status !== 0;
  return `${ok} passed, ${notOk} failed`;
}
const SYSTEMD_RUNS = 10;
const SYSTEMD_CHECKS = SYSTEMD_RUNS + 2; // the containers, one under tsrun's own shim, one naming another's unit
const ROOTLESS_CHECKS = 8;
let sdLine = `systemd driver: SKIPPED ${SYSTEMD_CHECKS} (no VM runner; set TSRUN_CGROUP2_VM)`;
let rlLine = `rootless cgroups: SKIPPED ${ROOTLESS_CHECKS} (no VM runner; set TSRUN_CGROUP2_VM)`;
const sdVm = vmRunner();
if (sdVm) {
  sdLine = `systemd driver (VM): ${tapInVm(sdVm, 'systemd cgroup driver against a real systemd', 'test/systemd/driver.sh', SYSTEMD_CHECKS, { TSRUN_SYSTEMD_RUNS: String(SYSTEMD_RUNS) })}`;
  rlLine = `rootless cgroups (VM): ${tapInVm(sdVm, "rootless cgroups: the user's systemd, a delegated cgroup, none", 'test/systemd/rootless-driver.sh', ROOTLESS_CHECKS)}`;
} else {
  total.skipped += SYSTEMD_CHECKS + ROOTLESS_CHECKS;
}

console.log(`\nhost: ${host.passed} passed, ${host.failed} failed, ${host.skipped} skipped`);
console.log(v2Line);
console.log(sdLine);
console.log(rlLine);
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(failed || total.failed > 0 ? 1 : 0);
