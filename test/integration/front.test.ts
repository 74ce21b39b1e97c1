// The native front end `tsrun` (addon/front) against the JavaScript implementation it stands in for: every
// native verb, run through the front and through TSRUN_FRONT=js (the same call handed to tsrun-js), must give
// the same stdout, stderr, exit status and log lines (minus the time). TSRUN_FRONT_TRACE proves which side
// answered. Both sides read the same state directory, so this also checks that they agree on its format.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, IS_TSRUN, baseConfig, waitExit, waitFor } from '../helpers/runtime.js';

const repo = resolve(import.meta.dirname, '..', '..');
const h = new Harness();
// The shipped front end (dist/tsrun), which execs the shipped tsrun-js beside it for what it does not answer.
const FRONT = join(repo, 'dist/tsrun');
const TRACE = join(h.work, 'front-trace');
const built = existsSync(join(repo, 'dist/tsrun-js')) && existsSync(FRONT) && !lstatSync(FRONT).isSymbolicLink();

afterAll(() => h.cleanup());

interface Out {
  status: number | null;
  stdout: string;
  stderr: string;
  log: string[];
  side: string;
}

let n = 0;

/** One call through the front, natively or (js) handed to tsrun-js; with a JSON or text log file. */
function call(args: string[], js: boolean, opts: { logFormat?: 'json' | 'text'; env?: NodeJS.ProcessEnv } = {}): Out {
  const log = join(h.work, `front-log-${++n}`);
  rmSync(TRACE, { force: true });
  const env = { ...process.env, ...opts.env, TSRUN_FRONT_TRACE: TRACE, ...(js ? { TSRUN_FRONT: 'js' } : {}) };
  delete (env as Record<string, string | undefined>).NOTIFY_SOCKET;
  const r = spawnSync(FRONT, ['--root', h.root, '--log', log, '--log-format', opts.logFormat ?? 'json', ...args], {
    encoding: 'utf8',
    env,
    timeout: 30_000,
  });
  const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  rmSync(log, { force: true });
  const side = existsSync(TRACE) ? readFileSync(TRACE, 'utf8').trim() : 'js';
  const noTime = lines.map((l) =>
    opts.logFormat === 'text' ? l.replace(/^time="[^"]*" /, '') : JSON.stringify({ ...JSON.parse(l), time: undefined }),
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, log: noTime, side };
}

/** The same call both ways: identical results, and the front answered it natively. */
function same(args: string[], opts: { logFormat?: 'json' | 'text' } = {}): Out {
  const js = call(args, true, opts);
  const native = call(args, false, opts);
  expect(native.side, `front answered ${args.join(' ')}`).toBe('native');
  expect({ ...native, side: '' }).toEqual({ ...js, side: '' });
  return native;
}

/**
 * A verb that changes the container, run natively on one twin and through tsrun-js on the other: the results
 * must be the same once the twins' ids (and pids) are swapped.
 */
function twins(a: string, b: string, args: (id: string) => string[], pids: [number, number] = [0, 0]): Out {
  const native = call(args(a), false);
  const js = call(args(b), true);
  expect(native.side, `front answered ${args(a).join(' ')}`).toBe('native');
  const norm = (s: string) => s.split(b).join(a).split(String(pids[1] || 'no-pid')).join(String(pids[0] || 'no-pid'));
  const fix = (o: Out) => ({ status: o.status, stdout: norm(o.stdout), stderr: norm(o.stderr), log: o.log.map(norm) });
  expect(fix(native)).toEqual(fix(js));
  return native;
}

/** As twins, for calls the front must hand over: the same results, and tsrun-js answered both. */
function twinsDelegated(a: string, b: string, args: (id: string) => string[]): Out {
  const front = call(args(a), false);
  const js = call(args(b), true);
  expect(front.side, args(a).join(' ')).toMatch(/^delegate: /);
  const norm = (s: string) => s.split(b).join(a);
  const fix = (o: Out) => ({ status: o.status, stdout: norm(o.stdout), stderr: norm(o.stderr), log: o.log.map(norm) });
  expect(fix(front)).toEqual(fix(js));
  return front;
}

function create(extra: string[] = [], args = ['sleep', '1000']): string {
  const id = h.id('fr');
  const r = h.rt([...extra, 'create', '--bundle', h.bundle(baseConfig(args)), id]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return id;
}
const pidOf = (id: string) => (JSON.parse(readFileSync(join(h.root, id, 'state.json'), 'utf8')) as { pid: number }).pid;
const running = (extra: string[] = []) => {
  const id = create(extra);
  expect(h.rt(['start', id]).status).toBe(0);
  return id;
};
const paused = () => {
  const id = running();
  expect(h.rt(['pause', id]).status).toBe(0);
  return id;
};
/** Stopped by SIGKILL through the runtime; with the shim, once it has written exit.json. */
const stopped = (extra: string[] = []) => {
  const id = running(extra);
  const pid = pidOf(id);
  expect(h.rt(['kill', id, 'KILL']).status).toBe(0);
  expect(waitExit(pid)).toBe(true);
  if (!extra.includes('never')) expect(waitFor(() => existsSync(join(h.root, id, 'exit.json')))).toBe(true);
  return id;
};

describe.skipIf(!IS_TSRUN || !built)('native front end = JS implementation', () => {
  const states: Record<string, () => string> = {
    created: () => create(),
    running: () => running(),
    paused,
    'stopped (shim)': () => stopped(),
    'stopped (no shim)': () => stopped(['--shim', 'never']),
    'init SIGKILLed from outside': () => {
      const id = running();
      const pid = pidOf(id);
      process.kill(pid, 'SIGKILL');
      expect(waitExit(pid)).toBe(true);
      return id;
    },
    missing: () => 'no-such-container',
    invalid: () => 'bad..id/x',
  };

  describe.each(Object.keys(states))('a container %s', (name) => {
    let id = '';
    beforeAll(() => {
      id = states[name]!();
    });
    it('state', () => void same(['state', id]));
    it('ps --format json', () => void same(['ps', '--format', 'json', id]));
    it('start (refused unless created: compared on the same container only when it fails)', () => {
      if (name !== 'created') same(['start', id]);
    });
    it('kill with a signal name and a number (harmless: TERM to a pid namespace init without handler)', () => {
      same(['kill', id, 'TERM']);
      same(['kill', id, '15']);
    });
    it('delete without --force (refused unless stopped or created; compared where it fails)', () => {
      if (!['created', 'stopped (shim)', 'stopped (no shim)', 'init SIGKILLed from outside', 'missing'].includes(name)) same(['delete', id]);
    });
    it('state with a text log', () => void same(['state', id], { logFormat: 'text' }));
  });

  it('bad signals are refused alike', () => {
    const id = running();
    for (const sig of ['0', '65', 'NOPE', 'sigfoo', '99999999999999999999']) same(['kill', id, sig]);
    same(['kill', 'no-such-container', 'NOPE']);
  });

  it('list, list --format json and list -q agree for containers in every state', () => {
    create();
    running();
    paused();
    stopped();
    same(['list']);
    same(['list', '--format', 'json']);
    same(['list', '-f', 'json']);
    same(['list', '-q']);
    same(['ps-all']);
  });

  it('kill by name, by number and with --all on twin containers', () => {
    for (const args of [
      (id: string) => ['kill', id, 'KILL'],
      (id: string) => ['kill', id, 'SIGKILL'],
      (id: string) => ['kill', id, '9'],
      (id: string) => ['kill', '--all', id, 'KILL'],
      (id: string) => ['kill', '-a', id],
    ]) {
      const a = running();
      const b = running();
      twins(a, b, args);
    }
  });

  it('kill --all of a stopped container succeeds; without --all it is not running', () => {
    const a = stopped();
    same(['kill', '--all', a, 'KILL']);
    same(['kill', a, 'KILL']);
  });

  it('start of a created container, and start again', () => {
    const a = create();
    const b = create();
    twins(a, b, (id) => ['start', id]);
    same(['start', a]);
    same(['state', a]);
  });

  it('delete of created, stopped, running (--force) and paused (--force) twins', () => {
    for (const [make, args] of [
      [create, (id: string) => ['delete', id]],
      [stopped, (id: string) => ['delete', id]],
      [() => stopped(['--shim', 'never']), (id: string) => ['delete', id]],
      [running, (id: string) => ['delete', '--force', id]],
      [paused, (id: string) => ['delete', '-f', id]],
    ] as const) {
      const a = make();
      const b = make();
      twins(a, b, args);
      expect(existsSync(join(h.root, a))).toBe(false);
      expect(existsSync(join(h.root, b))).toBe(false);
    }
    same(['delete', '--force', 'no-such-container']);
  });

  it('an aborted create (a state directory without state.json) is removed by delete', () => {
    for (const id of ['fr-aborted-a', 'fr-aborted-b']) mkdirSync(join(h.root, id), { recursive: true, mode: 0o700 });
    twins('fr-aborted-a', 'fr-aborted-b', (id) => ['delete', id]);
    expect(existsSync(join(h.root, 'fr-aborted-a'))).toBe(false);
  });

  it('global flags in every form: --root=x, -root x, --log-format=json, --debug', () => {
    const id = running();
    for (const pre of [['--debug'], ['--systemd-cgroup'], ['--shim', 'never'], ['--rootless', 'false']]) {
      const js = call([...pre, 'state', id], true);
      const native = call([...pre, 'state', id], false);
      expect(native.side).toBe('native');
      expect(native).toEqual({ ...js, side: 'native' });
    }
    const forms = [
      ['--root=' + h.root, 'state', id],
      ['-root', h.root, 'state', id],
      ['-root=' + h.root, 'state', id],
    ];
    for (const argv of forms) {
      const r = spawnSync(FRONT, argv, { encoding: 'utf8', env: { ...process.env, TSRUN_FRONT_TRACE: TRACE } });
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout).id).toBe(id);
    }
  });

  it('the state root is trusted only as checkRoot says', () => {
    const loose = join(h.work, 'loose-root');
    mkdirSync(loose, { mode: 0o777 });
    spawnSync('chmod', ['0777', loose]);
    for (const js of [true, false]) {
      rmSync(TRACE, { force: true });
      const r = spawnSync(FRONT, ['--root', loose, 'state', 'x'], {
        encoding: 'utf8',
        env: { ...process.env, TSRUN_FRONT_TRACE: TRACE, ...(js ? { TSRUN_FRONT: 'js' } : {}) },
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`state root "${loose}" must be owned by uid 0 (or root) and writable by nobody else (owner 0, mode 0777)\n`);
    }
  });

  it('hands help, other verbs, usage errors and unusual flags to tsrun-js', () => {
    const id = running();
    for (const args of [
      ['--help'],
      ['state', '--help'],
      ['--version'],
      ['exec', id, 'true'],
      ['ps', id],
      ['state'],
      ['state', id, 'extra'],
      ['kill', id, '-9'],
      ['list', '--format', 'yaml'],
      ['pause', 'no-such-container'],
    ]) {
      const js = call(args, true);
      const front = call(args, false);
      expect(front.side, args.join(' ')).toMatch(/^delegate: /);
      expect({ ...front, side: '' }, args.join(' ')).toEqual({ ...js, side: '' });
    }
  });

  it('reads crafted state directories as the TS side does, or hands them over', () => {
    const base = {
      version: 1,
      ociVersion: '1.0.2',
      pid: 2147483647,
      pidStartTime: '1',
      bundle: '/b\u00e9\u0001"\\',
      rootfs: '/r\u2028',
      created: '2024-01-01T00:00:00Z',
      privatePidNs: true,
    };
    const { privatePidNs, version: _v1, ...identity } = base;
    const v2 = { ...identity, version: 2, config: { privatePidNs, exec: { rlimits: [], noNewKeyring: false }, terminal: false } };
    const cases: [string, string, boolean][] = [
      // [id, state.json text, answered natively]
      ['fr-ann', JSON.stringify({ ...base, id: 'fr-ann', annotations: { b: 'x', '10': 'y', '2': 'z', '01': 'w', '-1': 'v', '4294967295': 'u', '\u00e9': '\u0000' } }), true],
      ['fr-dup', `{"id":"fr-dup","ociVersion":"1","pid":-5,"pidStartTime":"1","bundle":"/a","bundle":"/b","rootfs":"/r","created":"c","privatePidNs":false}`, true],
      ['fr-shim', JSON.stringify({ ...base, id: 'fr-shim', shim: { pid: 1, startTime: '0' } }), true],
      ['fr-float', JSON.stringify({ ...base, id: 'fr-float' }).replace('2147483647', '1.5'), false],
      ['fr-bad', '{"id": "fr-bad", ', false],
      ['fr-null', 'null', false],
      ['fr-noid', JSON.stringify({ ...base }), false],
      // Version 2: the container config in one object; an unknown version is the TS side's to refuse.
      ['fr-v2', JSON.stringify({ ...v2, id: 'fr-v2' }), true],
      ['fr-v2-nocfg', JSON.stringify({ ...v2, id: 'fr-v2-nocfg', config: undefined }), false],
      ['fr-v2-hooks', JSON.stringify({ ...v2, id: 'fr-v2-hooks', config: { ...v2.config, hooks: { poststop: [{ path: '/bin/true' }] } } }), true],
      ['fr-v9', JSON.stringify({ ...v2, id: 'fr-v9', version: 9 }), false],
    ];
    for (const [id, text, native] of cases) {
      mkdirSync(join(h.root, id), { recursive: true, mode: 0o700 });
      writeFileSync(join(h.root, id, 'state.json'), text);
    }
    writeFileSync(join(h.root, 'fr-shim', 'exit.json'), JSON.stringify({ pid: 1, exitCode: 3, signal: 0, oomKilled: true, exitedAt: 'then' }));
    for (const [id, , native] of cases) {
      for (const args of [['state', id], ['ps', '--format', 'json', id]]) {
        const js = call(args, true);
        const front = call(args, false);
        expect(front.side, args.join(' ')).toMatch(native ? /^native$/ : /^delegate: /);
        expect({ ...front, side: '' }, args.join(' ')).toEqual({ ...js, side: '' });
      }
    }
    // A container directory that is a symlink, and a state.json that is one: never followed natively.
    symlinkSync(join(h.root, 'fr-ann'), join(h.root, 'fr-link'));
    mkdirSync(join(h.root, 'fr-slink'), { mode: 0o700 });
    symlinkSync(join(h.root, 'fr-ann', 'state.json'), join(h.root, 'fr-slink', 'state.json'));
    for (const id of ['fr-link', 'fr-slink']) {
      const js = call(['state', id], true);
      const front = call(['state', id], false);
      expect(front.side).toMatch(/^delegate: /);
      expect({ ...front, side: '' }).toEqual({ ...js, side: '' });
    }
    for (const id of [...cases.map((c) => c[0]), 'fr-link', 'fr-slink']) rmSync(join(h.root, id), { recursive: true, force: true });
  });

  it('ps --format json in every spelling, its ps(1) arguments ignored; kill with an empty signal', () => {
    const id = running();
    same(['ps', '-f', 'json', id]);
    same(['ps', '--format=json', id, '-o', 'pid']);
    same(['kill', id, '']);
  });

  it('20 concurrent delete --force of one running container: all succeed, nothing is left', async () => {
    const id = running();
    const pid = pidOf(id);
    const { spawn } = await import('node:child_process');
    const codes = await Promise.all(
      Array.from({ length: 20 }, () =>
        new Promise<number | null>((done) => {
          const p = spawn(FRONT, ['--root', h.root, 'delete', '--force', id], { stdio: 'ignore' });
          p.on('exit', (code) => done(code));
        }),
      ),
    );
    expect(codes).toEqual(Array(20).fill(0));
    expect(waitExit(pid)).toBe(true);
    expect(existsSync(join(h.root, id))).toBe(false);
  });

  it('hands start with poststart hooks, delete with poststop hooks and start with NOTIFY_SOCKET to tsrun-js', () => {
    const cfg = baseConfig(['sleep', '1000']);
    const hook = { path: '/bin/sh', args: ['sh', '-c', 'cat >/dev/null; echo hook output >&2; exit 3'] };
    cfg.hooks = { poststart: [hook], poststop: [hook] };
    const make = () => {
      const id = h.id('frh');
      expect(h.rt(['create', '--bundle', h.bundle(cfg), id]).status).toBe(0);
      return id;
    };
    const [a, b] = [make(), make()];
    const start = twinsDelegated(a, b, (id) => ['start', id]);
    expect(start.log.join('\n')).toContain('poststart hook #0 (/bin/sh): exit status 3');
    const del = twinsDelegated(a, b, (id) => ['delete', '--force', id]);
    expect(del.log.join('\n')).toContain('poststop hook #0 (/bin/sh): exit status 3');
    const c = create();
    rmSync(TRACE, { force: true });
    const r = spawnSync(FRONT, ['--root', h.root, 'start', c], {
      encoding: 'utf8',
      env: { ...process.env, TSRUN_FRONT_TRACE: TRACE, NOTIFY_SOCKET: join(h.work, 'no-notify.sock') },
    });
    expect(r.status).toBe(0);
    expect(readFileSync(TRACE, 'utf8')).toMatch(/^delegate: NOTIFY_SOCKET/);
  });

  it('starts the cgroup move ahead for create, run and exec only (the kernel\'s wait passes while tsrun-js starts)', () => {
    const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean);
    const v1 = lines.some((l) => /^\d+:(pids|memory):/.test(l));
    const v2Only = lines.length === 1 && lines[0]!.startsWith('0::');
    const cases: [string[], boolean][] = [
      [['create', '--bundle', join(h.work, 'no-bundle'), 'w1'], v1],
      [['run', '--bundle', join(h.work, 'no-bundle'), 'w2'], v1],
      [['exec', 'no-such-container', 'true'], v1 || v2Only],
      [['features'], false],
      [['update', '--pids-limit', '5', 'no-such-container'], false],
    ];
    for (const [args, moved] of cases) {
      const r = call(args, false);
      expect(r.side, args[0]).toBe(`delegate: not a native verb${moved ? ' (cgroup move started)' : ''}`);
      expect(r.status, args[0]).toBe({ features: 0, exec: 255 }[args[0]!] ?? 1); // exec fails as runc's does
    }
  });

  it('says clearly when tsrun-js is missing', () => {
    const lone = join(h.work, 'lone');
    mkdirSync(lone, { recursive: true });
    copyFileSync(FRONT, join(lone, 'tsrun'));
    const r = spawnSync(join(lone, 'tsrun'), ['--help'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot run the JavaScript implementation ${join(lone, 'tsrun-js')}`);
  });
});
