import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Harness, IS_TSRUN, baseConfig, fileLines, processesUsing, stateDirExists, waitExit } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

/** A hook that saves its stdin as <dir>/<name>.json and appends its name (and env X) to <dir>/order. */
function recorder(dir: string, name: string, sh = '/bin/sh') {
  return { path: sh, args: ['sh', '-c', `cat > ${dir}/${name}.json; echo "${name}" >> ${dir}/order`] };
}

describe('hooks', () => {
  // Debian 12's runc 1.1.5 runs poststart hooks during create (fixed in runc 1.2), so this runs against tsrun only.
  it.skipIf(!IS_TSRUN)('run in the spec order with the state on stdin, each where the spec says', () => {
    const out = join(h.work, 'hook-out');
    mkdirSync(out);
    const id = h.id('hooks');
    const cfg = baseConfig(['sh', '-c', 'echo main >> /hooks/order']);
    cfg.annotations = { 'org.example/key': 'value' };
    cfg.mounts.push({ destination: '/hooks', type: 'bind', source: out, options: ['rbind', 'rw'] });
    cfg.hooks = {
      prestart: [recorder(out, 'prestart')],
      createRuntime: [recorder(out, 'createRuntime')],
      // In the container's namespaces before pivot_root: a host path still resolves.
      createContainer: [recorder(out, 'createContainer')],
      // In the container after pivot_root: the container's /bin/sh, the bind-mounted /hooks.
      startContainer: [recorder('/hooks', 'startContainer')],
      poststart: [recorder(out, 'poststart')],
      poststop: [recorder(out, 'poststop')],
    };
    const bundle = h.bundle(cfg);
    expect(h.rt(['create', '--bundle', bundle, id]).status).toBe(0);
    const pid = h.state(id).pid;
    expect(fileLines(join(out, 'order'))).toEqual(['prestart', 'createRuntime', 'createContainer']);
    expect(h.rt(['start', id]).status).toBe(0);
    expect(waitExit(pid)).toBe(true);
    expect(h.rt(['delete', id]).status).toBe(0);
    const order = fileLines(join(out, 'order'));
    // poststart runs after start has released the process: the two may interleave.
    expect(order.filter((n) => n !== 'poststart')).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'main', 'poststop']);
    expect(order.indexOf('poststart')).toBeGreaterThan(order.indexOf('startContainer'));

    const state = (name: string) => JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8'));
    for (const name of ['prestart', 'createRuntime', 'poststart']) {
      expect(state(name)).toMatchObject({ id, bundle, pid, annotations: { 'org.example/key': 'value' } });
    }
    expect(state('prestart').status).toBe('created');
    expect(state('poststart').status).toBe('running');
    expect(state('poststop')).toMatchObject({ id, bundle, status: 'stopped' });
    // Inside the container the pid is the init's own: 1 in its pid namespace.
    expect(state('createContainer')).toMatchObject({ id, bundle, pid: 1, status: 'created' });
    expect(state('startContainer')).toMatchObject({ id, bundle, pid: 1 });
  });

  it('aborts create when a prestart hook fails, naming it, and leaves nothing behind', () => {
    const id = h.id('prefail');
    const cfg = baseConfig(['true']);
    cfg.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', 'echo broken >&2; exit 3'] }] };
    const bundle = h.bundle(cfg);
    const r = h.rt(['create', '--bundle', bundle, id]);
    expect(r.status).toBe(1);
    if (IS_TSRUN) expect(r.stderr).toContain('prestart hook #0 (/bin/sh): exit status 3');
    expect(stateDirExists(h, id)).toBe(false);
    expect(processesUsing(bundle)).toEqual([]);
  });

  it('aborts create when a createContainer hook fails or runs past its timeout', () => {
    const fails = baseConfig(['true']);
    fails.hooks = { createContainer: [{ path: '/bin/false' }] };
    const id1 = h.id('ccfail');
    const b1 = h.bundle(fails);
    const r1 = h.rt(['create', '--bundle', b1, id1]);
    expect(r1.status).toBe(1);
    if (IS_TSRUN) expect(r1.stderr).toContain('createContainer hook #0 (/bin/false): exit status 1');
    expect(processesUsing(b1)).toEqual([]);

    const slow = baseConfig(['true']);
    slow.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] };
    const id2 = h.id('slow');
    const b2 = h.bundle(slow);
    const t0 = Date.now();
    const r2 = h.rt(['create', '--bundle', b2, id2]);
    expect(r2.status).toBe(1);
    expect(Date.now() - t0).toBeLessThan(20_000);
    if (IS_TSRUN) expect(r2.stderr).toContain('createRuntime hook #0 (/bin/sleep): ran past its timeout of 1s');
    expect(stateDirExists(h, id2)).toBe(false);
    expect(processesUsing(b2)).toEqual([]);
  });

  it.skipIf(!IS_TSRUN)('logs a failing poststart or poststop hook without failing start or delete, and runs every poststop hook', () => {
    const out = join(h.work, 'post-out');
    mkdirSync(out);
    const id = h.id('post');
    const cfg = baseConfig(['sleep', '1000']);
    cfg.hooks = {
      poststart: [{ path: '/bin/false' }],
      poststop: [{ path: '/bin/false' }, recorder(out, 'second-poststop')],
    };
    const bundle = h.bundle(cfg);
    expect(h.rt(['create', '--bundle', bundle, id]).status).toBe(0);
    const s = h.rt(['start', id]);
    expect(s.status).toBe(0);
    expect(s.stderr).toContain('poststart hook #0 (/bin/false): exit status 1');
    expect(h.state(id).status).toBe('running');
    const d = h.rt(['delete', '--force', id]);
    expect(d.status).toBe(0);
    expect(d.stderr).toContain('poststop hook #0 (/bin/false): exit status 1');
    expect(fileLines(join(out, 'order'))).toEqual(['second-poststop']);
  });

  it('gives a hook exactly its own env when it has one', () => {
    const out = join(h.work, 'env-out');
    mkdirSync(out);
    const cfg = baseConfig(['true']);
    cfg.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `env > ${out}/env`], env: ['ONLY=this'] }] };
    const id = h.id('env');
    expect(h.rt(['run', '--bundle', h.bundle(cfg), id]).status).toBe(0);
    const env = fileLines(join(out, 'env')).filter((l) => !/^(PWD|SHLVL|_)=/.test(l));
    expect(env).toEqual(['ONLY=this']);
  });

  it("gives a hook without env the runtime's own environment, exactly as the caller passed it", () => {
    const out = join(h.work, 'env-inherit');
    mkdirSync(out);
    const cfg = baseConfig(['true']);
    cfg.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `env > ${out}/env`] }] };
    const id = h.id('envi');
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', CALLER_MARK: 'x1' };
    expect(h.rt(['run', '--bundle', h.bundle(cfg), id], { env }).status).toBe(0);
    const got = fileLines(join(out, 'env')).filter((l) => !/^(PWD|SHLVL|_|OLDPWD)=/.test(l));
    // Nothing tsrun sets for its own sake (the front end's engine options) reaches the hook.
    expect(got.sort()).toEqual(['CALLER_MARK=x1', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin']);
  });
});
