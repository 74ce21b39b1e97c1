import { execFileSync, spawnSync } from 'node:child_process';
import { renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native/addon.js';
import { archName } from '../../src/plan/seccomp.js';
import { seccompArchitectures } from '../../src/spec/schema.js';
import { Harness, IS_TSRUN, RUNTIME, baseConfig, cgroupLeft, processesUsing, stateDirExists, testCgroupsPath } from '../helpers/runtime.js';

const PAYLOAD = join(import.meta.dirname, '../../build/Release/tsrun-test-payload');

const h = new Harness();
afterAll(() => h.cleanup());

/** create must fail with status 1 and leave no state dir, no process and no mount behind. */
function failsCleanly(config: unknown, message: RegExp | string | undefined, opts: { raw?: string } = {}) {
  const id = h.id('bad');
  const linux = (config as { linux?: { cgroupsPath?: string } }).linux;
  if (linux && linux.cgroupsPath === undefined) linux.cgroupsPath = testCgroupsPath(id);
  const bundle = h.bundle(config as ReturnType<typeof baseConfig>);
  if (opts.raw !== undefined) writeFileSync(join(bundle, 'config.json'), opts.raw);
  const r = h.rt(['create', '--bundle', bundle, id]);
  expect(r.status).toBe(1);
  if (message !== undefined) {
    if (typeof message === 'string') expect(r.stderr).toContain(message);
    else expect(r.stderr).toMatch(message);
  }
  expect(r.stderr).not.toMatch(/\n\s+at /); // never a stack trace
  expect(stateDirExists(h, id)).toBe(false);
  expect(processesUsing(bundle)).toEqual([]);
  expect(cgroupLeft(id)).toBe(false);
  return r;
}

describe('bad configs are refused with a clear error and leave nothing behind', () => {
  it('reaps its own children when config.json fails after the launcher was started (none is left to the caller)', () => {
    // The launcher starts while config.json is converted; a systemd cgroupsPath in the wrong form is found there.
    // Under a child subreaper, a launcher tsrun left behind would be reaped by the caller, exiting 1 on EOF.
    const id = h.id('orphan');
    const cfg = baseConfig(['true']);
    cfg.linux.cgroupsPath = 'not-a-systemd-path';
    const bundle = h.bundle(cfg);
    const r = spawnSync(PAYLOAD, ['subreaper', RUNTIME, ...h.argv(['--systemd-cgroup', 'create', '--bundle', bundle, id])], { encoding: 'utf8' });
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ran \d+ exit 1$/);
    if (IS_TSRUN) expect(r.stderr).toContain('expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups');
    // What the caller may reap (the front end's cgroup-move child, the exit's teardown helper) exits 0.
    expect(lines.slice(1).filter((l) => !/^reaped \d+ exit 0$/.test(l))).toEqual([]);
    expect(stateDirExists(h, id)).toBe(false);
  });

  it('names each schema problem by its JSON path', () => {
    const cfg = baseConfig(['true']) as any;
    delete cfg.process.args;
    cfg.linux.namespaces.push({ type: 'bogus' });
    const r = failsCleanly(cfg, IS_TSRUN ? 'process.args: Required' : undefined);
    if (IS_TSRUN) expect(r.stderr).toMatch(/linux\.namespaces\[6\]\.type: Invalid enum value/);
  });

  it('reports invalid JSON', () => {
    failsCleanly(baseConfig(['true']), IS_TSRUN ? '(root): invalid JSON' : undefined, { raw: '{"ociVersion": ' });
  });

  it('reports a missing rootfs', () => {
    const cfg = baseConfig(['true']);
    cfg.root.path = 'no-such-rootfs';
    failsCleanly(cfg, IS_TSRUN ? /rootfs .*no-such-rootfs.* does not exist/ : undefined);
  });

  it('refuses a rootfs reached through a symlink, as runc does', () => {
    const RUNC = 'invalid rootfs: not an absolute path, or a symlink';
    // root.path itself a symlink (relative), inside the bundle.
    const id = h.id('lnk');
    const linkCfg = baseConfig(['true']);
    linkCfg.linux.cgroupsPath = testCgroupsPath(id);
    const bundle = h.bundle(linkCfg);
    renameSync(join(bundle, 'rootfs'), join(bundle, 'rootfs-real'));
    symlinkSync('rootfs-real', join(bundle, 'rootfs'));
    let r = h.rt(['create', '--bundle', bundle, id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(RUNC);
    if (IS_TSRUN) expect(r.stderr).toContain(`root.path "rootfs" is ${JSON.stringify(join(bundle, 'rootfs'))}, which resolves to ${JSON.stringify(join(bundle, 'rootfs-real'))}`);
    expect(stateDirExists(h, id)).toBe(false);
    expect(cgroupLeft(id)).toBe(false);
    expect(processesUsing(bundle)).toEqual([]);
    // An absolute root.path with a symlink in a directory on the way.
    const id2 = h.id('lnk');
    const cfg = baseConfig(['true']);
    const link = join(h.work, `via-${id2}`);
    symlinkSync(bundle, link);
    cfg.root.path = join(link, 'rootfs-real');
    const bundle2 = h.bundle(cfg);
    r = h.rt(['create', '--bundle', bundle2, id2]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(RUNC);
    expect(stateDirExists(h, id2)).toBe(false);
    expect(processesUsing(bundle)).toEqual([]);
  });

  it('accepts a bundle directory given through a symlink (the rootfs is resolved from its real path, as runc)', () => {
    const id = h.id('blnk');
    const cfg = baseConfig(['true']);
    cfg.linux.cgroupsPath = testCgroupsPath(id);
    const bundle = h.bundle(cfg);
    const link = join(h.work, `bundle-link-${id}`);
    symlinkSync(bundle, link);
    const r = h.rt(['create', '--bundle', link, id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(cgroupLeft(id)).toBe(true); // (what the failure tests look for is there while a container lives)
    expect(h.rt(['delete', '--force', id]).status).toBe(0);
    expect(cgroupLeft(id)).toBe(false);
  });

  it('reports a missing executable at create time', () => {
    failsCleanly(baseConfig(['/bin/not-here']), /no such file or directory/);
    failsCleanly(baseConfig(['not-here']), 'executable file not found in $PATH');
  });

  it('reports a mount the kernel refuses, naming the mount and the errno', () => {
    const cfg = baseConfig(['true']);
    cfg.mounts.push({ destination: '/mnt/x', type: 'nosuchfs', source: 'whatever' });
    failsCleanly(cfg, IS_TSRUN ? 'mount "whatever" on "/mnt/x": no such device' : /no such device/);
  });

  it('reports a bind mount whose source does not exist', () => {
    const cfg = baseConfig(['true']);
    cfg.mounts.push({ destination: '/mnt/y', type: 'bind', source: join(h.work, 'absent'), options: ['rbind'] });
    failsCleanly(cfg, /no such file or directory/);
  });

  it('reports a cwd that is not a directory', () => {
    const cfg = baseConfig(['true']);
    cfg.process.cwd = '/etc/passwd';
    failsCleanly(cfg, /not a directory/);
  });

  it('reports a namespace path that does not exist', () => {
    const cfg = baseConfig(['true']);
    cfg.linux.namespaces = cfg.linux.namespaces.map((n: { type: string }) => (n.type === 'uts' ? { type: 'uts', path: '/proc/self/ns/nope' } : n));
    cfg.hostname = undefined;
    failsCleanly(cfg, /no such file or directory/);
  });

  it('reports a namespace path of the wrong type', () => {
    const cfg = baseConfig(['true']);
    cfg.linux.namespaces = cfg.linux.namespaces.map((n: { type: string }) => (n.type === 'ipc' ? { type: 'ipc', path: `/proc/${process.pid}/ns/net` } : n));
    failsCleanly(cfg, /invalid argument/i);
  });

  it.skipIf(!IS_TSRUN)('reports a user namespace without mappings', () => {
    const cfg = baseConfig(['true']);
    cfg.linux.namespaces.push({ type: 'user' });
    failsCleanly(cfg, 'linux.uidMappings: a new user namespace needs uid mappings');
  });

  it('refuses an invalid container id', () => {
    const bundle = h.bundle(baseConfig(['true']));
    for (const id of ['a/b', '..', 'sp ace']) {
      const r = h.rt(['create', '--bundle', bundle, id]);
      expect(r.status).toBe(1);
      expect(r.stderr.toLowerCase()).toContain('invalid');
    }
  });

  it('leaves nothing behind when a step late in the setup fails (after every mount was made)', () => {
    const cfg = baseConfig(['true']);
    cfg.linux.sysctl = { 'kernel.no_such_knob': '1' };
    failsCleanly(cfg, /no such file or directory|not in a separate kernel namespace/);
  });
});

describe('numbers out of the range of what they feed are refused, naming their JSON path', () => {
  const ID = 'uids and gids must be in range 0-2147483647';

  // (uid_t)-1 is "leave unchanged" to setresuid/setgroups: the process would have stayed root.
  it.each([
    ['uid', { uid: 4294967295, gid: 0 }],
    ['gid', { uid: 1000, gid: 4294967295 }],
    ['uid', { uid: 2147483648, gid: 0 }],
    ['additionalGids[1]', { uid: 1000, gid: 1000, additionalGids: [10, 4294967295] }],
  ])('process.user.%s', (key, user) => {
    const cfg = baseConfig(['id']);
    cfg.process.user = user;
    failsCleanly(cfg, IS_TSRUN ? `process.user.${key}: ${ID}` : ID);
  });

  it.skipIf(!IS_TSRUN)('id mappings that wrap past 2^32, device numbers past 12/20 bits, oomScoreAdj past 1000', () => {
    const maps = baseConfig(['true']);
    maps.linux.namespaces.push({ type: 'user' });
    maps.linux.uidMappings = [{ containerID: 0, hostID: 4294967295, size: 65536 }];
    maps.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    failsCleanly(maps, 'linux.uidMappings[0].hostID: hostID + size must not exceed 4294967295');
    const dev = baseConfig(['true']);
    dev.linux.devices = [{ type: 'c', path: '/dev/alias', major: 4097, minor: 3 }];
    failsCleanly(dev, 'linux.devices[0].major: must be in range 0-4095 (12 bits)');
    const oom = baseConfig(['true']);
    oom.process.oomScoreAdj = -5000;
    failsCleanly(oom, 'process.oomScoreAdj: must be in range -1000-1000');
  });
});

describe('a config.json that is not a regular file, or too large, is refused at once', () => {
  /** A bundle whose config.json is replaced by `make(path)`; create must fail fast (a hang is a failure here). */
  function refused(make: (file: string) => void, message: (file: string) => string) {
    const id = h.id('inp');
    const bundle = h.bundle(baseConfig(['true']));
    const file = join(bundle, 'config.json');
    rmSync(file);
    make(file);
    const started = Date.now();
    const r = h.rt(['create', '--bundle', bundle, id], { timeout: 10_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.status).toBe(1);
    if (IS_TSRUN) expect(r.stderr).toContain(message(file));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(stateDirExists(h, id)).toBe(false);
    expect(processesUsing(bundle)).toEqual([]);
  }

  it.each(['/dev/zero', '/dev/urandom', '/dev/full'])('config.json -> %s', (dev) => {
    refused((f) => symlinkSync(dev, f), (f) => `${f}: not a regular file (a character device)`);
  });

  // runc opens config.json without O_NONBLOCK: it waits for a writer for ever.
  it.skipIf(!IS_TSRUN)('config.json is a FIFO', () => {
    refused((f) => execFileSync('mkfifo', [f]), (f) => `${f}: not a regular file (a FIFO)`);
  });

  it('config.json is larger than 16 MiB', () => {
    refused(
      (f) => {
        writeFileSync(f, '');
        truncateSync(f, 16 * 1024 * 1024 + 1);
      },
      (f) => `${f}: larger than the limit of 16 MiB`,
    );
  });
});

describe.skipIf(!IS_TSRUN)('tsrun check', () => {
  it('says ok for a good bundle', () => {
    const bundle = h.bundle(baseConfig(['sh', '-c', 'true']));
    const r = h.rt(['check', '--bundle', bundle]);
    expect(r.stdout).toBe('ok\n');
    expect(r.status).toBe(0);
  });

  it('lists schema and create-time problems together', () => {
    const cfg = baseConfig(['no-such-program']);
    cfg.linux.namespaces.push({ type: 'user' });
    cfg.linux.namespaces = cfg.linux.namespaces.map((n: { type: string }) => (n.type === 'ipc' ? { type: 'ipc', path: `/proc/${process.pid}/ns/net` } : n));
    cfg.linux.namespaces.push({ type: 'cgroup', path: '/etc/passwd' });
    const bundle = h.bundle(cfg);
    const r = h.rt(['check', '--bundle', bundle]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('linux.uidMappings: a new user namespace needs uid mappings');
    expect(r.stderr).toContain(`linux.namespaces[2].path: "/proc/${process.pid}/ns/net" is not a namespace of type "ipc"`);
    expect(r.stderr).toContain('linux.namespaces[7].path: "/etc/passwd" is not a namespace');
    expect(r.stderr).toContain('process.args[0]: executable "no-such-program" not found in $PATH of the rootfs');
    expect(r.stdout).toBe('');
  });

  it('names a seccomp architecture the linked libseccomp lacks', () => {
    const addon = native();
    const lacking = seccompArchitectures.find((a) => !addon.seccompArchKnown(archName(a)));
    if (lacking === undefined) return; // this libseccomp knows every architecture of the runtime-spec
    const cfg = baseConfig(['true']);
    cfg.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', lacking] };
    const r = h.rt(['check', '--bundle', h.bundle(cfg)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`linux.seccomp.architectures[1]: architecture "${lacking}" is not supported by the linked libseccomp`);
  });

  it('reports a rootfs reached through a symlink', () => {
    const bundle = h.bundle(baseConfig(['true']));
    renameSync(join(bundle, 'rootfs'), join(bundle, 'real'));
    symlinkSync('real', join(bundle, 'rootfs'));
    const r = h.rt(['check', '--bundle', bundle]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('root.path: invalid rootfs: not an absolute path, or a symlink');
  });

  it('reports a missing rootfs', () => {
    const cfg = baseConfig(['true']);
    cfg.root.path = 'gone';
    const r = h.rt(['check', '--bundle', h.bundle(cfg)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/root.path: ".*\/gone" does not exist/);
  });
});
