// The rootless suite's test user and how to remove every trace of it: shared by the global setup (before and
// after the run) and by the tests (what a user's process is, which environment its commands get).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const USER = 'tsrun-rl';
export const SUB_COUNT = 65536;
export const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The clean environment of a login of the user (what runuser -l or a PAM session would give, plus XDG). */
export function userEnvOf(w) {
  return { HOME: w.home, USER: w.user, LOGNAME: w.user, PATH, LANG: 'C.UTF-8', XDG_RUNTIME_DIR: w.xdg };
}

export const podmanEnvOf = userEnvOf;

export function hostIsPureV2() {
  const mi = readFileSync('/proc/self/mountinfo', 'utf8');
  return /^\S+ \S+ \S+ \S+ \/sys\/fs\/cgroup \S+ .*- cgroup2 /m.test(mi);
}

/** [start, count] pairs of `user`'s lines in /etc/subuid or /etc/subgid. */
export function subRanges(file, user = USER) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f[0] === user && f.length === 3)
    .map((f) => [Number(f[1]), Number(f[2])]);
}

/**
 * Pids of every process whose real, effective, saved or filesystem uid is `uid`, or one of `ranges`
 * ([start, count]) in a user namespace whose map names `uid` or one of those ranges as host ids: the user's own
 * processes and its containers' (a container's uid 1000 is a subordinate id on the host). The map check keeps
 * another user's processes out even if its subordinate ranges overlap ours.
 */
export function processesOf(uid, ranges) {
  const inRange = (u) => ranges.some(([s, c]) => u >= s && u < s + c);
  const out = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let status;
    try {
      status = readFileSync(`/proc/${e}/status`, 'utf8');
    } catch {
      continue;
    }
    const m = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status);
    if (!m) continue;
    const ids = m.slice(1).map(Number);
    if (ids.includes(uid)) {
      out.push(Number(e));
      continue;
    }
    if (!ids.some(inRange)) continue;
    let map = '';
    try {
      map = readFileSync(`/proc/${e}/uid_map`, 'utf8');
    } catch {
      continue;
    }
    const hosts = map
      .trim()
      .split('\n')
      .map((l) => Number(l.trim().split(/\s+/)[1]));
    if (hosts.some((h) => h === uid || inRange(h))) out.push(Number(e));
  }
  return out;
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function rmCgroupTree(dir) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    try {
      if (statSync(p).isDirectory()) rmCgroupTree(p);
    } catch {
      // gone
    }
  }
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if (err.code === 'ENOENT') return;
      sleep(100);
    }
  }
}

/**
 * Removes the test user and everything of it: its processes (by pid), its delegated cgroup, its subordinate
 * ranges, the user and its home, /run/user/UID, the work directory and whatever it owns directly in /tmp,
 * /var/tmp and /dev/shm. `w` is the world of this run; without it (a leftover of an interrupted run) what is
 * found under the user's name is removed.
 */
/** The entries of `dirs` whose owner `mine` accepts (a missing directory or entry is skipped). */
export function entriesOwned(dirs, mine) {
  const out = [];
  for (const d of dirs) {
    let entries = [];
    try {
      entries = readdirSync(d);
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = join(d, e);
      try {
        if (mine(statSync(p).uid)) out.push(p);
      } catch {
        // gone
      }
    }
  }
  return out;
}

export function cleanupUser(w) {
  const idr = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
  if (idr.status !== 0) {
    // The user is gone: its uid may already be someone else's, so nothing is removed by uid any more.
    // A group of the user's name left without its user (useradd --user-group would refuse to make the user).
    if (spawnSync('getent', ['group', USER], { stdio: 'ignore' }).status === 0) spawnSync('groupdel', [USER], { stdio: 'ignore' });
    if (w?.work) rmSync(w.work, { recursive: true, force: true });
    return;
  }
  // Everything found by uid is removed while the uid is still the user's, then the user.
  const uid = Number(idr.stdout.trim());
  const ranges = [...subRanges('/etc/subuid'), ...subRanges('/etc/subgid')];
  if (w) ranges.push([w.subStart, w.subCount]);
  for (let i = 0; i < 100; i++) {
    const pids = processesOf(uid, ranges);
    if (!pids.length) break;
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
    sleep(100);
  }
  rmCgroupTree(join('/sys/fs/cgroup', `tsrun-rootless-${uid}.slice`));
  rmSync(`/run/user/${uid}`, { recursive: true, force: true });
  if (w?.work) rmSync(w.work, { recursive: true, force: true });
  for (const p of entriesOwned(['/tmp', '/var/tmp', '/dev/shm'], (u) => u === uid)) rmSync(p, { recursive: true, force: true });
  const del = [];
  for (const [s, c] of subRanges('/etc/subuid')) del.push('--del-subuids', `${s}-${s + c - 1}`);
  for (const [s, c] of subRanges('/etc/subgid')) del.push('--del-subgids', `${s}-${s + c - 1}`);
  if (del.length) spawnSync('usermod', [...del, USER], { stdio: 'ignore' });
  spawnSync('userdel', ['--remove', '--force', USER], { stdio: 'ignore' });
  // userdel keeps a range it does not know of; a line of ours must not outlive the user.
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const kept = text.split('\n').filter((l) => !l.startsWith(`${USER}:`));
    if (kept.join('\n') !== text) writeFileSync(f, kept.join('\n'));
  }
}
