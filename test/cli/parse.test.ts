/**
 * The command line driven in-process through main(), only for cases that never touch a container.
 * Writes to fds 1 and 2 (all output goes through fs.writeSync) are captured.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const captured = vi.hoisted(() => ({ out: '', err: '' }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((fd: number, data: unknown, ...rest: unknown[]) => {
    if (fd === 1 || fd === 2) {
      const text = typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString('utf8');
      if (fd === 1) captured.out += text;
      else captured.err += text;
      return Buffer.byteLength(text);
    }
    return (fs.writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
  }) as typeof fs.writeSync;
  return { ...fs, default: { ...fs, writeSync }, writeSync };
});

const { main } = await import('../../src/cli/main.js');
const { parseSpec } = await import('../../src/spec/load.js');
const { defaultSpec } = await import('../../src/spec/default-spec.js');

const tmp = mkdtempSync(join(tmpdir(), 'tsrun-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const fresh = (name: string) => {
  const d = join(tmp, `${name}-${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

async function run(...argv: string[]): Promise<{ status: number; out: string; err: string }> {
  captured.out = '';
  captured.err = '';
  const status = await main(argv);
  return { status, out: captured.out, err: captured.err };
}

beforeEach(() => {
  process.exitCode = undefined;
});
afterEach(() => {
  process.exitCode = undefined;
});

describe('tsrun --version', () => {
  it('prints runc-shaped version lines and exits 0', async () => {
    const r = await run('--version');
    expect(r.status).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^tsrun version \S+$/);
    expect(lines).toContainEqual(expect.stringMatching(/^commit: \S+$/));
    expect(lines).toContainEqual('spec: 1.3.0');
    expect(r.err).toBe('');
  });
});

describe('usage errors', () => {
  it('an unknown command: status 1, the error and the nearest commands on stderr, nothing on stdout', async () => {
    const r = await run('frobnicate');
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/unknown command "frobnicate"/);
    expect((await run('creat')).err).toMatch(/did you mean "create"\?/);
  });

  it('a missing container id: status 1 with "Incorrect Usage."', async () => {
    const r = await run('--root', fresh('root'), 'state');
    expect(r.status).toBe(1);
    expect(r.out.startsWith('Incorrect Usage.')).toBe(true);
    expect(r.err).not.toBe('');
  });

  it('no command at all: status 1 with "Incorrect Usage."', async () => {
    const r = await run();
    expect(r.status).toBe(1);
    expect(r.out.startsWith('Incorrect Usage.')).toBe(true);
  });

  it('an unknown option: status 1 with "Incorrect Usage."', async () => {
    const r = await run('list', '--frob');
    expect(r.status).toBe(1);
    expect(r.out.startsWith('Incorrect Usage.')).toBe(true);
  });
});

describe('commands on a missing container', () => {
  it('state: status 1 and "container does not exist" on stderr', async () => {
    const r = await run('--root', fresh('root'), 'state', 'nonexistent');
    expect(r.status).toBe(1);
    expect(r.err).toBe('container does not exist\n');
    expect(r.out).toBe('');
  });

  it('accepts single-dash long global options (-root)', async () => {
    const r = await run('-root', fresh('root'), 'state', 'nonexistent');
    expect(r.status).toBe(1);
    expect(r.err).toBe('container does not exist\n');
  });

  it('kill --all (and -a): still "container does not exist"', async () => {
    const root = fresh('root');
    for (const all of ['--all', '-a']) {
      const r = await run('--root', root, 'kill', all, 'nonexistent', 'KILL');
      expect(r.status).toBe(1);
      expect(r.err).toBe('container does not exist\n');
    }
  });

  it('wait, logs and attach (also with --exec PID): "container does not exist"', async () => {
    const root = fresh('root');
    for (const args of [['wait', 'x'], ['logs', '-f', '--tail', '3', 'x'], ['attach', '--detach-keys', 'ctrl-a', 'x'], ['wait', '--exec', '42', 'x']]) {
      const r = await run('--root', root, ...args);
      expect(r.status).toBe(1);
      expect(r.err).toBe('container does not exist\n');
    }
  });

  it('refuses a --shim policy it does not know and a malformed --log-size-max, naming them', async () => {
    const root = fresh('root');
    const a = await run('--root', root, '--shim', 'sometimes', 'state', 'x');
    expect(a.status).toBe(1);
    expect(a.err).toMatch(/shim/);
    const b = await run('--root', root, 'create', '--log-size-max', '12q', 'x');
    expect(b.status).toBe(1);
    expect(b.err).toContain('--log-size-max: "12q" is not a size');
    expect(existsSync(join(root, 'x'))).toBe(false);
  });

  it('an invalid id is refused before anything else', async () => {
    const r = await run('--root', fresh('root'), 'state', 'a..b/c');
    expect(r.status).toBe(1);
    expect(r.err).toBe('invalid container ID format\n');
  });
});

describe('--log', () => {
  it('with --log-format json writes one JSON error line with an RFC 3339 time', async () => {
    const dir = fresh('log');
    const file = join(dir, 'log.json');
    const r = await run('--log', file, '--log-format', 'json', '--root', fresh('root'), 'state', 'nonexistent');
    expect(r.status).toBe(1);
    expect(r.err).toBe('container does not exist\n');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, string>;
    expect(entry.level).toBe('error');
    expect(entry.msg).toBe('container does not exist');
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    expect(Number.isNaN(Date.parse(entry.time!))).toBe(false);
  });

  it('in text form gets the usage error too', async () => {
    const file = join(fresh('log'), 'log.txt');
    const r = await run('--log=' + file, 'frobnicate');
    expect(r.status).toBe(1);
    expect(readFileSync(file, 'utf8')).toMatch(/^time="[^"]+" level=error msg=".*frobnicate.*"\n$/);
  });
});

describe('list', () => {
  it('--format json on an empty root prints []', async () => {
    const r = await run('--root', fresh('root'), 'list', '--format', 'json');
    expect(r.status).toBe(0);
    expect(r.out).toBe('[]\n');
  });

  it('on a root that does not exist prints only the table header', async () => {
    const r = await run('--root', join(tmp, 'never-created'), 'list');
    expect(r.status).toBe(0);
    expect(r.out.trimEnd().split('\n')).toEqual([expect.stringMatching(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/)]);
  });
});

describe('spec', () => {
  it('writes a config.json that parseSpec accepts, then refuses to overwrite it', async () => {
    const bundle = fresh('bundle');
    const first = await run('spec', '--bundle', bundle);
    expect(first.status).toBe(0);
    const file = join(bundle, 'config.json');
    const spec = parseSpec(JSON.parse(readFileSync(file, 'utf8')));
    expect(spec.process?.args).toEqual(['sh']);
    expect(spec.root?.path).toBe('rootfs');

    writeFileSync(file, '{"keep":"me"}');
    const second = await run('spec', '-b', bundle);
    expect(second.status).toBe(1);
    expect(second.err).toMatch(/exists/);
    expect(readFileSync(file, 'utf8')).toBe('{"keep":"me"}');
  });

  const realRoot = process.geteuid?.() === 0 && /^\s*0\s+0\s+4294967295\s*$/.test(readFileSync('/proc/self/uid_map', 'utf8'));
  it.runIf(realRoot)("as real root writes runc's config, and a rootless one only with --rootless", async () => {
    const namespaces = (b: string) => parseSpec(JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'))).linux?.namespaces?.map((n) => n.type);
    const plain = fresh('bundle-root');
    expect((await run('spec', '--bundle', plain)).status).toBe(0);
    expect(namespaces(plain)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
    const rootless = fresh('bundle-rootless');
    expect((await run('spec', '--rootless', '--bundle', rootless)).status).toBe(0);
    expect(namespaces(rootless)).toContain('user');
    expect(namespaces(rootless)).not.toContain('network');
  });
});

describe('numeric flags are read strictly and checked against their range', () => {
  /** Runs argv on a missing container: a bad value must be refused before the container is even looked up. */
  async function refused(status: number, message: string, ...argv: string[]) {
    const root = fresh('root');
    const r = await run('--root', root, ...argv);
    expect(r.status, argv.join(' ')).toBe(status);
    expect(r.err, argv.join(' ')).toContain(message);
    expect(r.err, argv.join(' ')).not.toContain('container does not exist');
    expect(existsSync(join(root, 'x'))).toBe(false);
  }

  it('create and run --preserve-fds: a non-negative decimal integer', async () => {
    for (const v of ['1.5', '1e3', '0x3', '-1', '99999999999', 'abc']) {
      await refused(1, 'invalid value for --preserve-fds', 'create', '--preserve-fds', v, 'x');
      await refused(1, 'invalid value for --preserve-fds', 'run', '--preserve-fds', v, 'x');
    }
  });

  it('create --log-size-max: no size past 2^53 bytes', async () => {
    await refused(1, '--log-size-max: "99999999999g" is too large', 'create', '--log-size-max', '99999999999g', 'x');
  });

  it('exec --preserve-fds and --additional-gids (status 255, as every failed exec)', async () => {
    for (const v of ['1e3', '-1', '2.5']) await refused(255, 'invalid value for --preserve-fds', 'exec', '--preserve-fds', v, 'x', 'true');
    for (const g of ['4294967295', '2147483648', '99999999999']) await refused(255, 'uids and gids must be in range 0-2147483647', 'exec', '-g', g, 'x', 'true');
    for (const g of ['-1', '1.5', 'wheel']) await refused(255, `invalid additional-gids value "${g}"`, 'exec', '--additional-gids', g, 'x', 'true');
  });

  it('logs --tail and the --exec pid of logs, wait and attach', async () => {
    for (const v of ['1e3', '1.5', '-1', '0x10']) await refused(1, 'invalid value for --tail', 'logs', '--tail', v, 'x');
    for (const cmd of ['logs', 'wait', 'attach'])
      for (const v of ['1.5', '0', '-1', '../1', '99999999999']) await refused(1, 'invalid value for --exec', cmd, '--exec', v, 'x');
  });

  it('events --interval: more than 0, and no more than setInterval can wait', async () => {
    await refused(1, 'duration interval must be greater than 0', 'events', '--interval', '0s', 'x');
    await refused(1, 'duration interval must be greater than 0', 'events', '--interval=-5s', 'x');
    await refused(1, 'invalid duration "5 parsecs"', 'events', '--interval', '5 parsecs', 'x');
    await refused(1, 'duration interval must be at most 596h31m23.647s', 'events', '--interval', '9999999h', 'x');
  });

  it("update's numeric flags: integers of their field's range, sizes within int64", async () => {
    const cases: [string, string, string][] = [
      ['cpu-period', '1.5', 'not a decimal integer'],
      ['cpu-period', '-1', 'out of range (0 to 18446744073709551615)'],
      ['cpu-quota', '9223372036854775808', 'out of range (-9223372036854775808 to 9223372036854775807)'],
      ['cpu-quota', '', 'not a decimal integer'],
      ['blkio-weight', '70000', 'out of range (0 to 65535)'],
      ['pids-limit', '1e3', 'not a decimal integer'],
      ['cpu-share', '0x10', 'not a decimal integer'],
    ];
    for (const [flag, v, why] of cases) await refused(1, `invalid value for --${flag}: `, 'update', `--${flag}=${v}`, 'x');
    for (const [flag, v, why] of cases) await refused(1, why, 'update', `--${flag}=${v}`, 'x');
    await refused(1, 'invalid value for --memory: 99999999999999999999g is out of range', 'update', '--memory', '99999999999999999999g', 'x');
    await refused(1, 'invalid value for --memory-swap: ', 'update', '--memory-swap', '-2', 'x');
  });
});

describe('spec in a directory others can write', () => {
  it('refuses a dangling symlink planted as config.json instead of creating its target', async () => {
    const bundle = fresh('bundle');
    const target = join(fresh('elsewhere'), 'created-through-link');
    symlinkSync(target, join(bundle, 'config.json'));
    const r = await run('spec', '--bundle', bundle);
    expect(r.status).toBe(1);
    expect(r.err).toContain('File config.json exists. Remove it first.');
    expect(existsSync(target)).toBe(false);
  });
});

describe('check', () => {
  function bundleWith(edit: (s: Record<string, any>) => void, rootfs = true): string {
    const bundle = fresh('bundle');
    const s = structuredClone(defaultSpec()) as Record<string, any>;
    edit(s);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(s));
    if (rootfs) mkdirSync(join(bundle, 'rootfs'));
    return bundle;
  }

  it('reports a config without process.args and exits 1', async () => {
    const bundle = bundleWith((s) => delete s.process.args);
    const r = await run('check', '--bundle', bundle);
    expect(r.status).toBe(1);
    expect(r.err.split('\n')).toContain('process.args: Required');
  });

  it('names root.path when the rootfs is missing', async () => {
    const bundle = bundleWith(() => undefined, false);
    const r = await run('check', '--bundle', bundle);
    expect(r.status).toBe(1);
    expect(r.err).toContain(`root.path: "${join(bundle, 'rootfs')}" does not exist`);
    expect(existsSync(join(bundle, 'rootfs'))).toBe(false);
  });
});

describe('tsrun features', () => {
  it('prints runtime-spec features JSON on stdout and nothing on stderr', async () => {
    const r = await run('features');
    expect(r.status).toBe(0);
    expect(r.err).toBe('');
    const f = JSON.parse(r.out);
    expect(f.ociVersionMin).toBe('1.0.0');
    expect(f.ociVersionMax).toBe('1.3.0');
    expect(f.hooks).toContain('createContainer');
    // What engines switch on: rro mounts, idmapped mounts with user namespaces.
    expect(f.mountOptions).toEqual(expect.arrayContaining(['rro', 'rbind', 'idmap', 'nosymfollow']));
    expect(f.linux.namespaces).toEqual(expect.arrayContaining(['user', 'cgroup', 'time']));
    expect(f.linux.mountExtensions.idmap.enabled).toBe(true);
    expect(f.linux.capabilities[0]).toBe('CAP_CHOWN');
    expect(f.linux.seccomp.actions).toContain('SCMP_ACT_NOTIFY');
    expect(f.annotations['org.opencontainers.runc.checkpoint.enabled']).toBe('false');
  });
});

describe('checkpoint and restore', () => {
  it.each([
    ['checkpoint', '--help'],
    ['restore', '--lsm-mount-context'],
    ['checkpoint', '--image-path', '/x', 'c1'],
  ])('%s %s fails (not supported), so probes see no support', async (...argv) => {
    const r = await run(...argv);
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('not supported');
  });
});

describe('tsrun exec arguments', () => {
  it('a missing container: status 255 and "exec failed: container does not exist"', async () => {
    const r = await run('--root', fresh('root'), 'exec', 'nosuch', 'sh', '-c', 'true');
    expect(r.status).toBe(255);
    expect(r.err).toContain('exec failed: container does not exist');
  });

  it('--criu is accepted and ignored', async () => {
    const r = await run('--criu', '/usr/sbin/criu', '--root', fresh('root'), 'list', '--format', 'json');
    expect(r.status).toBe(0);
    expect(r.out.trim()).toBe('[]');
  });
});
