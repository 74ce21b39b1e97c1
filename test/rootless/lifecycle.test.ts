/**
 * The runtime run by an ordinary user without --root: where its state goes, the user namespace it makes (a
 * single mapping of the user's own ids, written directly, or the user's subordinate ranges through
 * newuidmap/newgidmap), the lifecycle verbs, exec with a terminal, and bind mounts whose files the user owns.
 * Reference: runc 1.1.5 (docs/rootless-findings.md).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RUNTIME,
  ROOT_DEFAULT_ROOT,
  STATE_ROOT,
  W,
  asUser,
  asUserWithTty,
  bundle,
  cgroupsLeft,
  foreignFiles,
  leftoversOf,
  ok,
  processesLeft,
  rt,
  stateEntries,
  uniqueId,
  userDir,
} from './helpers.js';
import { waitExit } from '../helpers/runtime.js';

const ids: string[] = [];
const newId = () => {
  const id = uniqueId();
  ids.push(id);
  return id;
};

afterEach(() => {
  // Whatever a failed test left: removed as the user could (delete --force), then checked below by the tests.
  for (const id of ids.splice(0)) rt(['delete', '--force', id]);
});

const mapLines = (text: string | undefined) =>
  (text ?? '')
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));

describe('spec --rootless', () => {
  it('writes a config for the calling user: a user namespace mapping its uid and gid, no network namespace, /sys bound', () => {
    const { config } = bundle(['true']);
    expect(config.linux.uidMappings).toEqual([{ containerID: 0, hostID: W.uid, size: 1 }]);
    expect(config.linux.gidMappings).toEqual([{ containerID: 0, hostID: W.gid, size: 1 }]);
    const ns = config.linux.namespaces.map((n: { type: string }) => n.type);
    expect(ns).toContain('user');
    expect(ns).not.toContain('network');
    // A user cannot mount a sysfs outside a network namespace it owns: runc binds the host's.
    const sys = config.mounts.find((m: { destination: string }) => m.destination === '/sys');
    expect(sys).toMatchObject({ type: 'none', source: '/sys' });
    expect(sys.options).toEqual(expect.arrayContaining(['rbind', 'ro']));
    // devpts with gid=5 needs group 5 mapped.
    const pts = config.mounts.find((m: { destination: string }) => m.destination === '/dev/pts');
    expect(pts.options.some((o: string) => o.startsWith('gid='))).toBe(false);
    // No cgroup device rules (a user cannot have them applied on v1).
    expect(config.linux.resources?.devices ?? []).toEqual([]);
  });
});

describe('lifecycle as the user, without --root', () => {
  it('create/start/state/exec/kill/delete with the state under $XDG_RUNTIME_DIR/<runtime name>', () => {
    const { dir } = bundle(['sleep', '1000']);
    const id = newId();
    ok(rt(['create', id], { cwd: dir }));
    const stateDir = join(STATE_ROOT, id);
    const st = statSync(stateDir);
    expect([st.uid, st.gid]).toEqual([W.uid, W.gid]);
    const root = statSync(STATE_ROOT);
    expect(root.uid).toBe(W.uid);
    // runc: MkdirAll(root, 0700) then chmod 01700 — the sticky bit keeps XDG_RUNTIME_DIR's pruning off it.
    expect((root.mode & 0o7777).toString(8)).toBe('1700');
    expect(JSON.parse(ok(rt(['state', id])).stdout)).toMatchObject({ id, status: 'created', bundle: dir });
    ok(rt(['start', id]));
    const state = JSON.parse(ok(rt(['state', id])).stdout);
    expect(state.status).toBe('running');
    // The container's init runs as the user on the host.
    expect(readFileSync(`/proc/${state.pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${W.uid}\\s+${W.uid}\\s`, 'm'));
    expect(ok(rt(['exec', id, 'id'])).stdout).toMatch(/^uid=0\(root\) gid=0\(root\)/);
    expect(mapLines(ok(rt(['exec', id, 'cat', '/proc/self/uid_map'])).stdout)).toEqual([[0, W.uid, 1]]);
    expect(ok(rt(['list'])).stdout).toMatch(new RegExp(`^${id}\\s+\\d+\\s+running\\s+${dir}\\s+\\S+\\s+${W.user}$`, 'm'));
    ok(rt(['kill', id, 'KILL']));
    // kill returns once the signal is sent (as runc's does); the init is gone a moment later.
    expect(waitExit(state.pid)).toBe(true);
    const stopped = JSON.parse(ok(rt(['state', id])).stdout);
    expect(stopped.status).toBe('stopped');
    ok(rt(['delete', id]));
    expect(stateEntries()).not.toContain(id);
    expect(processesLeft()).toEqual([]);
    expect(leftoversOf(id)).toEqual([]);
  });

  it('run -d returns with the container running; delete --force ends it and leaves nothing', () => {
    const { dir } = bundle(['sleep', '1000']);
    const id = newId();
    ok(rt(['run', '-d', id], { cwd: dir }));
    expect(JSON.parse(ok(rt(['state', id])).stdout).status).toBe('running');
    ok(rt(['delete', '--force', id]));
    expect(processesLeft()).toEqual([]);
    expect(leftoversOf(id)).toEqual([]);
  });

  it('a single mapping of the user\'s own ids: root inside, setgroups denied, the user outside', () => {
    const { dir } = bundle(['sh', '-c', 'id; echo ---; cat /proc/self/uid_map; echo ---; cat /proc/self/gid_map; echo ---; cat /proc/self/setgroups']);
    const id = newId();
    const out = ok(rt(['run', id], { cwd: dir })).stdout.split('---\n').map((x) => x ?? '');
    expect(out[0]).toMatch(/^uid=0\(root\) gid=0\(root\)/);
    expect(mapLines(out[1])).toEqual([[0, W.uid, 1]]);
    expect(mapLines(out[2])).toEqual([[0, W.gid, 1]]);
    // An unprivileged writer of gid_map must deny setgroups first (user_namespaces(7)).
    expect(out[3]?.trim()).toBe('deny');
    expect(leftoversOf(id)).toEqual([]);
  });

  it('files made in a bind mount of the user\'s directory are the user\'s on the host', () => {
    const data = userDir();
    const { dir } = bundle(['sh', '-c', 'touch /data/file && mkdir /data/dir && ls -ln /data'], (c) => {
      c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] });
    });
    const id = newId();
    ok(rt(['run', id], { cwd: dir }));
    for (const f of ['file', 'dir']) {
      const st = statSync(join(data, f));
      expect([st.uid, st.gid]).toEqual([W.uid, W.gid]);
    }
  });

  it('the user\'s subordinate ranges (newuidmap/newgidmap): both maps, setgroups allowed, uid 1000 is a subordinate id', () => {
    const data = userDir('0777');
    const ranges = [
      { containerID: 0, hostID: W.uid, size: 1 },
      { containerID: 1, hostID: W.subStart, size: W.subCount },
    ];
    const { dir } = bundle(
      ['sh', '-c', 'cat /proc/self/uid_map; echo ---; cat /proc/self/gid_map; echo ---; cat /proc/self/setgroups; touch /data/by-root && chown 1000:1000 /data/by-root'],
      (c) => {
        c.linux.uidMappings = ranges;
        c.linux.gidMappings = ranges.map((r) => (r.containerID === 0 ? { ...r, hostID: W.gid } : r));
        c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] });
        for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_CHOWN');
      },
    );
    const id = newId();
    const out = ok(rt(['run', id], { cwd: dir })).stdout.split('---\n').map((x) => x ?? '');
    expect(mapLines(out[0])).toEqual([
      [0, W.uid, 1],
      [1, W.subStart, W.subCount],
    ]);
    expect(mapLines(out[1])).toEqual([
      [0, W.gid, 1],
      [1, W.subStart, W.subCount],
    ]);
    // runc denies setgroups only for a lone mapping of the user's own gid; newgidmap leaves it "allow".
    expect(out[2]?.trim()).toBe('allow');
    const st = statSync(join(data, 'by-root'));
    expect([st.uid, st.gid]).toEqual([W.subStart + 999, W.subStart + 999]);

    // A process as container uid 1000 is host uid subStart+999.
    const { dir: dir2 } = bundle(['sh', '-c', 'touch /data/by-1000'], (c) => {
      c.linux.uidMappings = ranges;
      c.linux.gidMappings = ranges.map((r) => (r.containerID === 0 ? { ...r, hostID: W.gid } : r));
      c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] });
      c.process.user = { uid: 1000, gid: 1000 };
    });
    ok(rt(['run', newId()], { cwd: dir2 }));
    const st2 = statSync(join(data, 'by-1000'));
    expect([st2.uid, st2.gid]).toEqual([W.subStart + 999, W.subStart + 999]);
  });

  it('a range the user was not given is refused by newuidmap, and nothing is left', () => {
    const { dir } = bundle(['true'], (c) => {
      c.linux.uidMappings = [
        { containerID: 0, hostID: W.uid, size: 1 },
        { containerID: 1, hostID: W.subStart + W.subCount, size: 1000 },
      ];
    });
    const id = newId();
    const r = rt(['run', id], { cwd: dir });
    expect(r.status).toBe(1);
    // newuidmap's own words reach the caller's stderr.
    expect(r.stderr).toContain(`newuidmap: uid range [1-1001) -> [${W.subStart + W.subCount}-${W.subStart + W.subCount + 1000}) not allowed`);
    expect(processesLeft()).toEqual([]);
    expect(leftoversOf(id, { delegatedCgroupLeftByRunc: true })).toEqual([]);
  });

  it('exec -t gives the process a terminal', () => {
    const { dir } = bundle(['sleep', '1000']);
    const id = newId();
    ok(rt(['run', '-d', id], { cwd: dir }));
    const r = ok(asUserWithTty([RUNTIME, 'exec', '-t', id, 'sh', '-c', 'tty; test -t 0 && test -t 1 && echo both-ttys; id -u']));
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+$/m);
    expect(r.stdout).toMatch(/^both-ttys$/m);
    expect(r.stdout).toMatch(/^0$/m);
    ok(rt(['delete', '--force', id]));
    expect(processesLeft()).toEqual([]);
  });

  it('a config without a user namespace is refused: "rootless container requires user namespaces"', () => {
    const { dir } = bundle(['true'], (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'user');
      delete c.linux.uidMappings;
      delete c.linux.gidMappings;
    });
    const id = newId();
    const r = rt(['run', id], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('rootless container requires user namespaces');
    expect(leftoversOf(id)).toEqual([]);
  });
});

describe('where the state goes', () => {
  it('without XDG_RUNTIME_DIR: root\'s default /run/<name>, which the user may not use (no fallback)', () => {
    const { dir } = bundle(['true']);
    const id = newId();
    const r = rt(['run', id], { cwd: dir, env: { XDG_RUNTIME_DIR: undefined } });
    expect(r.status).toBe(1);
    // runc 1.1.5: "lstat /run/runc/ID: permission denied" (/run/runc exists, 0700 root) or
    // "mkdir /run/runc: permission denied" (it does not).
    expect(r.stderr).toMatch(new RegExp(`${ROOT_DEFAULT_ROOT.replace(/\//g, '\\/')}\\S*: permission denied`));
    expect(leftoversOf(id)).toEqual([]);
    expect(processesLeft()).toEqual([]);
  });

  it('XDG_RUNTIME_DIR the user cannot write: refused, naming $XDG_RUNTIME_DIR', () => {
    const r = rt(['list'], { env: { XDG_RUNTIME_DIR: '/nonexistent-xdg' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the path in $XDG_RUNTIME_DIR must be writable by the user');
    expect(r.stderr).toContain('mkdir /nonexistent-xdg: permission denied');
  });

  it('--root given: used as is (no sticky bit, no runtime-named subdirectory)', () => {
    const root = join(W.home, 'my-root');
    const { dir } = bundle(['sleep', '1000']);
    const id = newId();
    ok(rt(['--root', root, 'run', '-d', id], { cwd: dir }));
    expect(statSync(join(root, id)).uid).toBe(W.uid);
    expect((statSync(root).mode & 0o7777).toString(8)).toBe('700');
    ok(rt(['--root', root, 'delete', '--force', id]));
    expect(processesLeft()).toEqual([]);
  });
});

describe('after every scenario above', () => {
  it('nothing is left: no state, no process of the user or its subordinate ids, no cgroup, nothing in shared places', () => {
    expect(stateEntries()).toEqual([]);
    expect(processesLeft()).toEqual([]);
    // (runc 1.1.5: except the delegated cgroup of the refused newuidmap scenario, see cgroupsLeft)
    expect(cgroupsLeft(`rl-${process.pid}-`, { delegatedCgroupLeftByRunc: true })).toEqual([]);
    expect(foreignFiles()).toEqual([]);
  });
});
