import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Harness, IS_TSRUN, baseConfig, processesUsing } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

function run(config: ReturnType<typeof baseConfig>) {
  const id = h.id('mnt');
  const bundle = h.bundle(config);
  return { ...h.rt(['run', '--bundle', bundle, id]), id, bundle };
}

function withSysAdmin(cfg: ReturnType<typeof baseConfig>) {
  const caps = ['CAP_SYS_ADMIN', 'CAP_DAC_OVERRIDE', 'CAP_CHOWN'];
  cfg.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
  return cfg;
}

describe('root propagation', () => {
  // The runtime-tools check, from inside: a recursive bind of "/" sees a later mount only if "/" is shared.
  const probe = 'mkdir -p /t /m && mount --rbind / /t && mount -t tmpfs none /m && touch /m/f && (ls /t/m/f >/dev/null 2>&1 && echo exposed || echo hidden)';
  // runc fails "shared" and "unbindable" root propagation (its pivot_root refuses them): tsrun only.
  for (const [prop, want] of [['shared', 'exposed'], ['rshared', 'exposed'], ['slave', 'hidden'], ['private', 'hidden']] as const) {
    it.skipIf(!IS_TSRUN && want === 'exposed')(`${prop}: a later mount is ${want} through a bind of "/"`, () => {
      const cfg = withSysAdmin(baseConfig(['sh', '-c', probe]));
      cfg.linux.rootfsPropagation = prop;
      const r = run(cfg);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe(want);
    });
  }

  it.skipIf(!IS_TSRUN)('unbindable: "/" cannot be bound', () => {
    const cfg = withSysAdmin(baseConfig(['sh', '-c', 'mkdir -p /t && (mount --rbind / /t 2>/dev/null && echo bound || echo refused)']));
    cfg.linux.rootfsPropagation = 'unbindable';
    expect(run(cfg).stdout.trim()).toBe('refused');
  });

  it('with rshared, a mount made by the container on a shared volume is visible on the host', () => {
    const vol = join(h.work, 'shared-vol');
    mkdirSync(join(vol, 'sub'), { recursive: true });
    execFileSync('mount', ['--bind', vol, vol]);
    execFileSync('mount', ['--make-shared', vol]);
    try {
      const cfg = withSysAdmin(baseConfig(['sh', '-c', 'mount -t tmpfs -o size=1m from-container /vol/sub && touch /vol/sub/made-inside']));
      cfg.linux.rootfsPropagation = 'rshared';
      cfg.mounts.push({ destination: '/vol', type: 'bind', source: vol, options: ['rbind', 'rshared'] });
      const r = run(cfg);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const host = readFileSync('/proc/self/mountinfo', 'utf8');
      expect(host).toMatch(new RegExp(` ${join(vol, 'sub').replace(/[.+]/g, '\\$&')} .* - tmpfs from-container `));
    } finally {
      spawnSync('umount', ['-l', join(vol, 'sub')]);
      spawnSync('umount', ['-l', vol]);
    }
  });

  it('by default nothing the container mounts reaches the host', () => {
    const vol = join(h.work, 'private-vol');
    mkdirSync(join(vol, 'sub'), { recursive: true });
    const cfg = withSysAdmin(baseConfig(['sh', '-c', 'mount -t tmpfs leak-probe /vol/sub']));
    cfg.mounts.push({ destination: '/vol', type: 'bind', source: vol, options: ['rbind'] });
    const r = run(cfg);
    expect(r.status).toBe(0);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain('leak-probe');
    expect(processesUsing(r.bundle)).toEqual([]);
  });
});

describe('mount options', () => {
  it.skipIf(!IS_TSRUN)('rro makes a bind read-only recursively, submounts included (ro alone does not)', () => {
    const src = join(h.work, 'rro-src');
    mkdirSync(join(src, 'inner'), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(src, 'inner')]);
    try {
      const test = 'touch /a/inner/x 2>/dev/null && echo a-writable || echo a-ro; touch /b/inner/x 2>/dev/null && echo b-writable || echo b-ro';
      const cfg = baseConfig(['sh', '-c', test]);
      cfg.mounts.push(
        { destination: '/a', type: 'bind', source: src, options: ['rbind', 'ro'] },
        { destination: '/b', type: 'bind', source: src, options: ['rbind', 'rro'] },
      );
      const r = run(cfg);
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n').slice(0, 2)).toEqual(['a-writable', 'b-ro']);
    } finally {
      spawnSync('umount', ['-l', join(src, 'inner')]);
    }
  });

  it('nosymfollow refuses to follow symlinks on that mount', () => {
    const src = join(h.work, 'nosym-src');
    mkdirSync(src);
    writeFileSync(join(src, 'real'), 'content\n');
    execFileSync('ln', ['-s', 'real', join(src, 'link')]);
    const cfg = baseConfig(['sh', '-c', 'cat /n/link 2>/dev/null || echo refused; cat /n/real']);
    cfg.mounts.push({ destination: '/n', type: 'bind', source: src, options: ['rbind', 'nosymfollow'] });
    expect(run(cfg).stdout).toBe('refused\ncontent\n');
  });

  it('resolves mount destinations inside the rootfs: a symlink cannot lead a mount out of it', () => {
    const id = h.id('escape');
    const cfg = baseConfig(['sh', '-c', 'cat /escape/marker']);
    const bundle = h.bundle(cfg);
    const outside = join(h.work, 'outside-target');
    mkdirSync(outside);
    // /escape in the rootfs points (absolutely) at a host directory outside the rootfs.
    execFileSync('ln', ['-s', outside, join(bundle, 'rootfs', 'escape')]);
    const src = join(h.work, 'escape-src');
    mkdirSync(src);
    writeFileSync(join(src, 'marker'), 'inside\n');
    const c = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    c.mounts.push({ destination: '/escape', type: 'bind', source: src, options: ['rbind'] });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(c));
    const r = h.rt(['run', '--bundle', bundle, id]);
    // The link was followed inside the rootfs (to <rootfs><outside>), never to the host directory.
    expect(r.stdout).toBe('inside\n');
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(` ${outside} `);
    expect(statSync(join(bundle, 'rootfs', outside)).isDirectory()).toBe(true);
  });
});

describe.skipIf(!IS_TSRUN)('idmapped mounts', () => {
  it('shows the files of a bind through the mount\'s id mapping', () => {
    const src = join(h.work, 'idmap-src');
    mkdirSync(src);
    writeFileSync(join(src, 'owned'), 'x');
    chownSync(join(src, 'owned'), 0, 0);
    const cfg = baseConfig(['sh', '-c', 'ls -ln /data/owned /plain/owned | awk \'{print $3":"$4}\'']);
    cfg.mounts.push(
      {
        destination: '/data',
        type: 'bind',
        source: src,
        options: ['rbind', 'idmap'],
        uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
        gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      },
      { destination: '/plain', type: 'bind', source: src, options: ['rbind'] },
    );
    const r = run(cfg);
    expect(r.stderr).toBe('');
    // On-disk uid 0 shows as 100000 through the idmapped mount (containerID 0 → hostID 100000), and stays 0
    // on the plain bind.
    expect(r.stdout.trim().split('\n')).toEqual(['100000:100000', '0:0']);
  });

  it('lets a user-namespaced root write files that the host sees with the mapped owner', () => {
    const src = join(h.work, 'idmap-rw');
    mkdirSync(src);
    const cfg = baseConfig(['sh', '-c', 'touch /data/new && ls -ln /data/new | awk \'{print $3}\'']);
    cfg.linux.namespaces.push({ type: 'user' });
    cfg.linux.uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
    cfg.linux.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
    // Through the container's own mapping: what its root writes is owned by uid 0 on disk.
    cfg.mounts.push({ destination: '/data', type: 'bind', source: src, options: ['rbind', 'idmap'] });
    const id = h.id('idmap');
    const bundle = h.bundle(cfg);
    mkdirSync(join(bundle, 'rootfs', 'data')); // the container's root cannot create it in a host-owned rootfs
    const r = { ...h.rt(['run', '--bundle', bundle, id]) };
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('0');
    expect(statSync(join(src, 'new')).uid).toBe(0);
  });
});
