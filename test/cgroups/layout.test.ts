import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ownCgroups, readLayout } from '../../src/cgroups/layout.js';

// This machine's: separate cpu and cpuacct hierarchies, name=systemd, and a cgroup2 at unified.
const HYBRID_HOST = [
  '23 1 0:22 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw',
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices',
  '37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer',
  '38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  '',
].join('\n');

// A systemd distribution's hybrid mode: joint cpu,cpuacct and net_cls,net_prio, optional fields, xattr.
const HYBRID_SYSTEMD = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate',
  '32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd',
  '35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct',
  '36 30 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,memory',
  '37 30 0:33 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,net_cls,net_prio',
  '38 30 0:34 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:19 - cgroup cgroup rw,devices,release_agent=/x',
  '',
].join('\n');

const PURE_V2 = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '26 23 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot',
  '',
].join('\n');

const V1_ONLY = [
  '18 22 0:17 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:6 - tmpfs tmpfs ro,mode=755',
  '19 18 0:18 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:7 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd',
  '21 18 0:20 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct',
  '22 18 0:21 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,memory',
  '23 18 0:22 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,devices',
  // The same memory hierarchy bind-mounted elsewhere counts once.
  '90 22 0:21 /docker /mnt/memory rw,relatime - cgroup cgroup rw,memory',
  '',
].join('\n');

describe('readLayout', () => {
  it('reads only the cgroup mounts among thousands of others (a container host: a line per layer and volume)', () => {
    const others = Array.from({ length: 2000 }, (_, k) => `${100 + k} 22 0:${100 + k} / /var/lib/cgroup-data/o${k} rw - overlay overlay rw,lowerdir=/l${k}`);
    const text = [...others, HYBRID_HOST].join('\n');
    expect(readLayout(text)).toEqual(readLayout(HYBRID_HOST));
    expect(readLayout(text).mode).toBe('hybrid');
  });

  it('reads a hybrid host like this one (separate cpu and cpuacct, name=systemd, unified)', () => {
    const l = readLayout(HYBRID_HOST);
    expect(l.mode).toBe('hybrid');
    expect(l.v1.map((h) => [h.mountpoint, h.subsystems])).toEqual([
      ['/sys/fs/cgroup/cpu', ['cpu']],
      ['/sys/fs/cgroup/cpuacct', ['cpuacct']],
      ['/sys/fs/cgroup/cpuset', ['cpuset']],
      ['/sys/fs/cgroup/memory', ['memory']],
      ['/sys/fs/cgroup/devices', ['devices']],
      ['/sys/fs/cgroup/freezer', ['freezer']],
      ['/sys/fs/cgroup/blkio', ['blkio']],
      ['/sys/fs/cgroup/pids', ['pids']],
      ['/sys/fs/cgroup/systemd', ['name=systemd']],
    ]);
    expect(l.v1.every((h) => h.root === '/')).toBe(true);
    expect(l.v2).toEqual({ mountpoint: '/sys/fs/cgroup/unified', root: '/' });
  });

  it('keeps joint controllers together and drops mount options (xattr, release_agent)', () => {
    const l = readLayout(HYBRID_SYSTEMD);
    expect(l.mode).toBe('hybrid');
    expect(l.v1.map((h) => h.subsystems)).toEqual([['name=systemd'], ['cpu', 'cpuacct'], ['memory'], ['net_cls', 'net_prio'], ['devices']]);
  });

  it('reads a pure v2 host', () => {
    expect(readLayout(PURE_V2)).toEqual({ mode: 'v2', v1: [], v2: { mountpoint: '/sys/fs/cgroup', root: '/' } });
  });

  it('reads a v1-only host; a hierarchy mounted twice counts at its first mount', () => {
    const l = readLayout(V1_ONLY);
    expect(l.mode).toBe('v1');
    expect(l.v2).toBeUndefined();
    expect(l.v1.map((h) => h.mountpoint)).toEqual([
      '/sys/fs/cgroup/systemd',
      '/sys/fs/cgroup/cpu,cpuacct',
      '/sys/fs/cgroup/memory',
      '/sys/fs/cgroup/devices',
    ]);
  });

  it("keeps a v1 mount's root (a container's view of a sub-tree)", () => {
    const l = readLayout('50 40 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n');
    expect(l.v1).toEqual([{ mountpoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], root: '/docker/abc' }]);
  });

  it('decodes escaped mount points', () => {
    const l = readLayout('26 23 0:23 / /tmp/my\\040cgroup rw - cgroup2 none rw\n');
    expect(l.v2?.mountpoint).toBe('/tmp/my cgroup');
  });

  it('refuses a host without cgroup mounts', () => {
    expect(() => readLayout('22 1 8:1 / / rw - ext4 /dev/sda1 rw\n')).toThrow('no cgroup mount found in mountinfo');
  });
});

describe('ownCgroups', () => {
  it('splits joint controllers into their own keys and keeps name= and the v2 line', () => {
    const own = ownCgroups('12:memory:/user.slice\n4:cpu,cpuacct:/user.slice/x\n1:name=systemd:/user.slice/s.scope\n0::/user.slice/s.scope\n');
    expect(Object.fromEntries(own)).toEqual({
      memory: '/user.slice',
      cpu: '/user.slice/x',
      cpuacct: '/user.slice/x',
      'name=systemd': '/user.slice/s.scope',
      '': '/user.slice/s.scope',
    });
  });

  it('keeps colons in the path and refuses lines without two colons', () => {
    expect(ownCgroups('0::/a:b\n').get('')).toBe('/a:b');
    expect(() => ownCgroups('garbage\n')).toThrow('invalid cgroup entry: must contain at least two colons: garbage');
  });

  it("parses this process's own /proc/self/cgroup and /proc/self/mountinfo (read only)", () => {
    const layout = readLayout(readFileSync('/proc/self/mountinfo', 'utf8'));
    const own = ownCgroups(readFileSync('/proc/self/cgroup', 'utf8'));
    if (layout.mode === 'v2') expect(own.has('')).toBe(true);
    for (const h of layout.v1) expect(h.subsystems.length).toBeGreaterThan(0);
    expect(own.size).toBeGreaterThan(0);
  });
});
