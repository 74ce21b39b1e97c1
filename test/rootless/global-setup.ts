/**
 * The rootless suite's world: an ordinary user (`tsrun-rl`) with subordinate id ranges in /etc/subuid and
 * /etc/subgid, its XDG_RUNTIME_DIR (/run/user/UID, 0700, its own, as pam_systemd would make it), a home with a
 * private podman configuration (storage.conf, containers.conf) and a busybox image imported into that user's
 * rootless storage (kept in the work directory: in the cgroup v2 VM the root filesystem is an overlay, which
 * cannot be the upper layer of podman's), and a work directory with a busybox rootfs template for bundles.
 *
 * On a pure cgroup v2 host (the VM of scripts/test.mjs) it also makes what systemd's `Delegate=yes` would: a
 * cgroup directory owned by the user with every controller enabled below it, and a leaf in it where every
 * command of the user is started (helpers.ts moves each one there before it drops root).
 *
 * Everything is removed afterwards: the user's processes (found by uid, its own or one of its subordinate ids,
 * and killed by pid), the user (userdel -r), its subordinate ranges, /run/user/UID, the work directory, the
 * delegated cgroup. A leftover of an interrupted run is removed before starting.
 *
 * Runs as root. The runtime under test is TSRUN_RUNTIME, default <repo>/dist/tsrun; TSRUN_RUNTIME=/usr/sbin/runc
 * checks the scenarios themselves. Missing prerequisites (uidmap's newuidmap/newgidmap, podman, conmon, setpriv,
 * script) fail the setup with a message naming them: nothing is skipped silently.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
// @ts-expect-error: plain JS module shared with the tests
import { USER, SUB_COUNT, cleanupUser, hostIsPureV2, podmanEnvOf } from './world.mjs';

const repo = resolve(import.meta.dirname, '..', '..');

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The first multiple of 65536 at or above 200000 that no existing /etc/subuid or /etc/subgid range touches. */
function freeSubRange(): number {
  let end = 200_000;
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const [, start, count] = line.split(':');
      if (start && count) end = Math.max(end, Number(start) + Number(count));
    }
  }
  return Math.ceil(end / 65536) * 65536;
}

export default function setup(project: TestProject): () => void {
  if (process.getuid?.() !== 0) throw new Error('rootless tests: the setup needs root (it creates a user); run them as root');
  const need: Record<string, string> = {
    newuidmap: 'uidmap',
    newgidmap: 'uidmap',
    podman: 'podman',
    conmon: 'conmon',
    setpriv: 'util-linux',
    script: 'bsdutils',
    useradd: 'passwd',
    usermod: 'passwd',
  };
  const missing = Object.entries(need).filter(([b]) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
  if (missing.length)
    throw new Error(
      `rootless tests need ${missing.map(([b, p]) => `${b} (package ${p})`).join(', ')}: apt-get install ${[...new Set(missing.map(([, p]) => p))].join(' ')}`,
    );
  const runtime = process.env.TSRUN_RUNTIME ?? join(repo, 'dist/tsrun');
  if (!existsSync(runtime)) throw new Error(`rootless tests: no runtime at ${runtime} (npm run build, or set TSRUN_RUNTIME)`);

  // A leftover of an interrupted run first.
  cleanupUser();

  // Anything failing from here on removes what was made so far (the user, its ranges, its directories).
  try {
    const subStart = freeSubRange();
    // No automatic ranges (login.defs SUB_UID_COUNT): the suite's own, written explicitly below.
    sh('useradd', ['--create-home', '--shell', '/bin/sh', '--user-group', '-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0', USER]);
    const uid = Number(sh('id', ['-u', USER]).trim());
    const gid = Number(sh('id', ['-g', USER]).trim());
    sh('usermod', ['--add-subuids', `${subStart}-${subStart + SUB_COUNT - 1}`, '--add-subgids', `${subStart}-${subStart + SUB_COUNT - 1}`, USER]);
    const home = sh('sh', ['-c', `getent passwd ${USER} | cut -d: -f6`]).trim();
    const xdg = `/run/user/${uid}`;
    rmSync(xdg, { recursive: true, force: true });
    // /run/user as pam_systemd keeps it (0755, searchable), made here only where nothing made it before.
    const madeRunUser = !existsSync('/run/user');
    if (madeRunUser) mkdirSync('/run/user', { mode: 0o755 });
    mkdirSync(xdg, { mode: 0o700 });
    chownSync(xdg, uid, gid);
    chmodSync(xdg, 0o700);

    // Bundles live here: searchable by all (the container's root is the user, and subordinate ids must reach it
    // too), owned by the user so that it can make its own directories.
    const work = mkdtempSync('/tmp/tsrun-rootless-');
    chmodSync(work, 0o755);
    chownSync(work, uid, gid);
    const template = join(work, 'rootfs-template');
    execFileSync(join(repo, 'scripts/make-rootfs'), [template], { stdio: 'inherit' });
    execFileSync('chown', ['-R', `${uid}:${gid}`, template]);

    // Pure cgroup v2: a delegated subtree, as systemd's Delegate=yes makes for user@UID.service.
    let delegated = '';
    let leaf = '';
    let rootEnabled: string[] = [];
    if (hostIsPureV2()) {
      delegated = `/sys/fs/cgroup/tsrun-rootless-${uid}.slice`;
      // Every available controller enabled below `dir`; returns those that were not (the root's are put back).
      const enable = (dir: string): string[] => {
        const words = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split(/\s+/).filter(Boolean);
        const on = words('cgroup.subtree_control');
        const missing = words('cgroup.controllers').filter((c) => !on.includes(c));
        if (missing.length) writeFileSync(join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
        return missing;
      };
      rootEnabled = enable('/sys/fs/cgroup');
      mkdirSync(delegated);
      // What systemd chowns for a delegated unit: the directory and the files of its own that a delegatee writes.
      for (const f of ['', 'cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads']) chownSync(join(delegated, f), uid, gid);
      enable(delegated);
      leaf = join(delegated, 'session.scope');
      mkdirSync(leaf);
      for (const f of ['', 'cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads']) chownSync(join(leaf, f), uid, gid);
    }

    const world = { user: USER, uid, gid, home, xdg, work, template, runtime, subStart, subCount: SUB_COUNT, delegated, leaf };

    // Podman, rootless: its own storage (native overlay in the user namespace; /dev/fuse need not be open) and
    // configuration under the user's home, cgroupfs (no systemd user session here) and the file events logger.
    const conf = join(home, '.config', 'containers');
    mkdirSync(conf, { recursive: true });
    writeFileSync(
      join(conf, 'storage.conf'),
      `[storage]\ndriver = "overlay"\ngraphroot = "${work}/storage"\nrunroot = "${xdg}/containers"\n`,
    );
    writeFileSync(
      join(conf, 'containers.conf'),
      [
        '[containers]',
        'netns = "none"',
        '[engine]',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        // Podman passes --log-format=json --log FILE to the runtimes named here, by the runtime path's base name.
        'runtime_supports_json = ["crun", "runc", "kata", "runsc", "youki", "krun", "tsrun"]',
        '',
      ].join('\n'),
    );
    execFileSync('chown', ['-R', `${uid}:${gid}`, join(home, '.config')]);
    const tar = join(work, 'rootfs.tar');
    execFileSync('tar', ['-C', template, '-cf', tar, '.']);
    chmodSync(tar, 0o644);
    const imp = spawnSync(
      'setpriv',
      ['--reuid', String(uid), '--regid', String(gid), '--init-groups', 'env', '-i', ...envPairs(podmanEnvOf(world)), 'podman', 'import', '--change', 'CMD ["sh"]', tar, 'localhost/tsrun-rl/busybox:1'],
      { cwd: home, encoding: 'utf8' },
    );
    rmSync(tar);
    if (imp.status !== 0) {
      cleanupUser(world);
      if (madeRunUser) rmdirSync('/run/user');
      throw new Error(`rootless tests: podman import as ${USER} failed (${imp.status}): ${imp.stderr}`);
    }

    project.provide('rootless', world);
    return () => {
      cleanupUser(world);
      if (madeRunUser) rmdirSync('/run/user');
      if (rootEnabled.length) writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', rootEnabled.map((c) => `-${c}`).join(' '));
      const left = cleanupLeftovers(world);
      if (left.length) throw new Error(`rootless tests: left behind after cleanup: ${left.join(', ')}`);
    };
  } catch (err) {
    cleanupUser();
    throw err;
  }
}

function envPairs(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** What cleanupUser could not remove (should be nothing). */
function cleanupLeftovers(w: { user: string; xdg: string; work: string; delegated: string }): string[] {
  const left: string[] = [];
  if (spawnSync('id', [w.user], { stdio: 'ignore' }).status === 0) left.push(`user ${w.user}`);
  for (const f of ['/etc/subuid', '/etc/subgid']) if (existsSync(f) && readFileSync(f, 'utf8').split('\n').some((l) => l.startsWith(`${w.user}:`))) left.push(f);
  for (const p of [w.xdg, w.work, w.delegated]) if (p && existsSync(p)) left.push(p);
  return left;
}

declare module 'vitest' {
  export interface ProvidedContext {
    rootless: {
      user: string;
      uid: number;
      gid: number;
      home: string;
      xdg: string;
      work: string;
      template: string;
      runtime: string;
      subStart: number;
      subCount: number;
      /** Pure cgroup v2 only: the user's delegated cgroup and the leaf its commands start in ('' otherwise). */
      delegated: string;
      leaf: string;
    };
  }
}
