import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TsrunError } from '../../src/errors.js';
import { StateDir, checkRoot, listIds, ociState, resolveRoot, statusOf, upgradeState, validateId, type ContainerState } from '../../src/runtime/state.js';
import { readProcStat } from '../../src/util/proc.js';

let root: string;
beforeEach(() => {
  root = join(mkdtempSync(join(tmpdir(), 'tsrun-state-')), 'root');
});
afterEach(() => {
  rmSync(join(root, '..'), { recursive: true, force: true });
});

function state(over: Partial<ContainerState> = {}): ContainerState {
  return {
    version: 2,
    id: 'c1',
    ociVersion: '1.3.0',
    pid: process.pid,
    pidStartTime: readProcStat(process.pid)!.startTime,
    bundle: '/bundles/b',
    rootfs: '/bundles/b/rootfs',
    created: '2024-01-02T03:04:05.000000006Z',
    config: { exec: { rlimits: [], noNewKeyring: false }, privatePidNs: true, terminal: false },
    ...over,
  };
}

/** A pid that certainly has no process: one of a child already reaped. */
function deadPid(): number {
  const r = spawnSync('true');
  expect(r.status).toBe(0);
  return r.pid!;
}

describe('validateId', () => {
  it.each(['abc', 'A-b_c.d+e', '0', 'a.b', '...'])('accepts %s', (id) => {
    expect(() => validateId(id)).not.toThrow();
  });

  it.each(['', '.', '..', 'a/b', 'a b', '../x', 'ü', 'a\n'])('rejects %j', (id) => {
    expect(() => validateId(id)).toThrow(new TsrunError('invalid container ID format'));
  });

  it('is applied by StateDir', () => {
    expect(() => new StateDir('/tmp', '../etc')).toThrow('invalid container ID format');
  });
});

describe('resolveRoot', () => {
  it('makes the root absolute and refuses "/"', () => {
    expect(resolveRoot('/run/tsrun/')).toBe('/run/tsrun');
    expect(() => resolveRoot('/')).toThrow('invalid --root');
  });
});

describe('checkRoot', () => {
  it('trusts a root of ours or root\'s that nobody else can write, or one that does not exist yet', () => {
    const base = mkdtempSync(join(tmpdir(), 'tsrun-rootcheck-'));
    try {
      expect(() => checkRoot(join(base, 'missing'))).not.toThrow();
      const mine = join(base, 'mine');
      mkdirSync(mine, { mode: 0o711 });
      expect(() => checkRoot(mine, statSync(mine).uid)).not.toThrow();
      const open = join(base, 'open');
      mkdirSync(open);
      spawnSync('chmod', ['0777', open]);
      expect(() => checkRoot(open, statSync(open).uid)).toThrow(/must be owned by uid \d+ \(or root\) and writable by nobody else \(owner \d+, mode 0777\)/);
      const theirs = join(base, 'theirs');
      mkdirSync(theirs, { mode: 0o700 });
      spawnSync('chown', ['4242', theirs]);
      expect(() => checkRoot(theirs, 1000)).toThrow(/must be owned by uid 1000/);
      const file = join(base, 'file');
      writeFileSync(file, '');
      expect(() => checkRoot(file)).toThrow('is not a directory');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('StateDir', () => {
  it('creates <root>/<id> with mode 0700, as the root (nobody else may reach exec.fifo or the logs)', () => {
    const d = new StateDir(root, 'c1');
    expect(d.exists()).toBe(false);
    d.create();
    expect(d.exists()).toBe(true);
    expect(d.dir).toBe(join(root, 'c1'));
    expect(statSync(d.dir).mode & 0o7777).toBe(0o700);
    expect(statSync(root).mode & 0o7777).toBe(0o700);
    expect(d.fifo).toBe(join(root, 'c1', 'exec.fifo'));
  });

  it('refuses a second create of the same id', () => {
    new StateDir(root, 'c1').create();
    expect(() => new StateDir(root, 'c1').create()).toThrow(new TsrunError('container with given ID already exists'));
  });

  it('says "container does not exist" for a missing container or one without state.json', () => {
    const d = new StateDir(root, 'nope');
    expect(() => d.load()).toThrow(new TsrunError('container does not exist'));
    d.create();
    expect(d.read()).toBeUndefined();
    expect(() => d.load()).toThrow('container does not exist');
  });

  it('writes state.json (0600) and reads it back', () => {
    const d = new StateDir(root, 'c1');
    d.create();
    const st = state({ annotations: { a: 'b' } });
    d.write(st);
    expect(statSync(join(d.dir, 'state.json')).mode & 0o777).toBe(0o600);
    expect(d.load()).toEqual(st);
    d.write({ ...st, pid: 1 });
    expect(d.load().pid).toBe(1);
  });

  it('removes the directory with everything in it', () => {
    const d = new StateDir(root, 'c1');
    d.create();
    d.write(state());
    writeFileSync(d.fifo, '');
    d.remove();
    expect(d.exists()).toBe(false);
    expect(() => d.load()).toThrow('container does not exist');
  });

  it('reports its owner', () => {
    const d = new StateDir(root, 'c1');
    d.create();
    expect(d.owner()).toBe(process.getuid!());
  });
});

describe('statusOf', () => {
  it('is running for a live process with the recorded start time', () => {
    const d = new StateDir(root, 'c1');
    d.create();
    expect(statusOf(d, state())).toBe('running');
  });

  it('is created while exec.fifo exists', () => {
    const d = new StateDir(root, 'c1');
    d.create();
    writeFileSync(d.fifo, '');
    expect(statusOf(d, state())).toBe('created');
  });

  it('is stopped when the start time differs (a recycled pid)', () => {
    const d = new StateDir(root, 'c1');
    d.create();
    writeFileSync(d.fifo, '');
    expect(statusOf(d, state({ pidStartTime: '1' }))).toBe('stopped');
  });

  it('is stopped when the pid does not exist or is not positive', () => {
    const d = new StateDir(root, 'c1');
    d.create();
    expect(statusOf(d, state({ pid: deadPid() }))).toBe('stopped');
    expect(statusOf(d, state({ pid: 0 }))).toBe('stopped');
  });
});

describe('ociState', () => {
  it('shapes the OCI state document with the live pid', () => {
    const d = new StateDir(root, 'c1');
    d.create();
    expect(ociState(d, state())).toEqual({
      ociVersion: '1.3.0',
      id: 'c1',
      pid: process.pid,
      status: 'running',
      bundle: '/bundles/b',
      rootfs: '/bundles/b/rootfs',
      created: '2024-01-02T03:04:05.000000006Z',
      owner: '',
    });
  });

  it('reports pid 0 for a stopped container', () => {
    const d = new StateDir(root, 'c1');
    expect(ociState(d, state({ pid: 12345 }), 'stopped').pid).toBe(0);
  });

  it('omits empty annotations and keeps non-empty ones', () => {
    const d = new StateDir(root, 'c1');
    expect('annotations' in ociState(d, state({ annotations: {} }), 'running')).toBe(false);
    expect(ociState(d, state({ annotations: { k: 'v' } }), 'running').annotations).toEqual({ k: 'v' });
  });
});

describe('listIds', () => {
  it('lists container directories sorted, skipping files and invalid names', () => {
    mkdirSync(root, { recursive: true });
    for (const id of ['zeta', 'alpha', 'mid.1', 'bad name']) mkdirSync(join(root, id));
    writeFileSync(join(root, 'file'), '');
    expect(listIds(root)).toEqual(['alpha', 'mid.1', 'zeta']);
  });

  it('is empty for a missing root', () => {
    expect(listIds(join(root, 'missing'))).toEqual([]);
  });
});

describe('state.json versions', () => {
  const identity = { id: 'c1', ociVersion: '1.0.2', pid: 1, pidStartTime: '1', bundle: '/b', rootfs: '/b/rootfs', created: 'c' };
  const cgroup = { driver: 'cgroupfs' as const, layout: { mode: 'v1' as const, v1: [] }, paths: { v1: { memory: '/sys/fs/cgroup/memory/c1' } } };
  const execConfig = { rlimits: [], noNewKeyring: true };

  it('version 1 (the config parts beside the identity) is read as version 2', () => {
    const hooks = { poststop: [{ path: '/bin/true' }] };
    const v1 = { version: 1 as const, ...identity, privatePidNs: true, hooks, cgroup, execConfig, terminal: true, shim: { pid: 2, startTime: '3' } };
    expect(upgradeState(v1)).toEqual({ version: 2, ...identity, shim: { pid: 2, startTime: '3' }, config: { cgroup, exec: execConfig, hooks, privatePidNs: true, terminal: true }, legacyExec: undefined });
  });

  it('the oldest version 1 (settings by name) keeps them for exec to convert', () => {
    const exec = { capabilities: { bounding: ['CAP_CHOWN'] }, noNewKeyring: true };
    const st = upgradeState({ version: 1, ...identity, privatePidNs: false, cgroup, exec });
    expect(st.legacyExec).toEqual(exec);
    expect(st.config).toEqual({ cgroup, exec: { rlimits: [], noNewKeyring: false }, hooks: undefined, privatePidNs: false, terminal: false });
  });

  it('refuses a version it does not know, and a version 2 without its config', () => {
    expect(() => upgradeState({ ...identity, version: 9 } as never)).toThrow('state.json of container c1: version 9 is not known to this tsrun');
    expect(() => upgradeState({ ...identity, version: 2 } as never)).toThrow('state.json of container c1: no config');
  });

  it('write then read gives the same version 2 document', () => {
    const dir = new StateDir(root, 'c1');
    dir.create();
    const st = state({ config: { cgroup, exec: execConfig, privatePidNs: true, terminal: true } });
    dir.write(st);
    expect(dir.read()).toEqual(st);
  });
});
