import { describe, expect, it } from 'vitest';
import { ownCgroups, readLayout } from '../../src/cgroups/layout.js';
import { cleanCgroupPath, expandSlice, parseSystemdPath, resolveCgroupPaths } from '../../src/cgroups/paths.js';
import type { CgroupLayout } from '../../src/cgroups/types.js';

const hybrid: CgroupLayout = {
  mode: 'hybrid',
  v1: [
    { mountpoint: '/sys/fs/cgroup/systemd', subsystems: ['name=systemd'], root: '/' },
    { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', subsystems: ['cpu', 'cpuacct'], root: '/' },
    { mountpoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], root: '/' },
    { mountpoint: '/sys/fs/cgroup/devices', subsystems: ['devices'], root: '/' },
    { mountpoint: '/sys/fs/cgroup/debug', subsystems: ['debug'], root: '/' },
  ],
  v2: { mountpoint: '/sys/fs/cgroup/unified', root: '/' },
};
const own = ownCgroups(
  ['4:cpu,cpuacct:/user.slice', '3:memory:/user.slice/user-0.slice', '2:devices:/', '1:name=systemd:/user.slice/user-0.slice/session-1.scope', '0::/user.slice/user-0.slice/session-1.scope', ''].join('\n'),
);
const v2: CgroupLayout = { mode: 'v2', v1: [], v2: { mountpoint: '/sys/fs/cgroup', root: '/' } };

describe('resolveCgroupPaths (cgroupfs)', () => {
  it('puts an absolute path under every hierarchy mount, name=systemd included, plus the unified dir on hybrid', () => {
    expect(resolveCgroupPaths(hybrid, '/machine/ctr', 'id', own)).toEqual({
      v1: {
        devices: '/sys/fs/cgroup/devices/machine/ctr',
        memory: '/sys/fs/cgroup/memory/machine/ctr',
        cpu: '/sys/fs/cgroup/cpu,cpuacct/machine/ctr',
        cpuacct: '/sys/fs/cgroup/cpu,cpuacct/machine/ctr',
        'name=systemd': '/sys/fs/cgroup/systemd/machine/ctr',
      },
      v2: '/sys/fs/cgroup/unified/machine/ctr',
    });
  });

  it("puts a relative path under this process's own cgroup of each v1 hierarchy (the unified dir under the mount, as runc)", () => {
    const p = resolveCgroupPaths(hybrid, 'group/ctr', 'id', own);
    expect(p.v1).toEqual({
      devices: '/sys/fs/cgroup/devices/group/ctr',
      memory: '/sys/fs/cgroup/memory/user.slice/user-0.slice/group/ctr',
      cpu: '/sys/fs/cgroup/cpu,cpuacct/user.slice/group/ctr',
      cpuacct: '/sys/fs/cgroup/cpu,cpuacct/user.slice/group/ctr',
      'name=systemd': '/sys/fs/cgroup/systemd/user.slice/user-0.slice/session-1.scope/group/ctr',
    });
    expect(p.v2).toBe('/sys/fs/cgroup/unified/group/ctr');
  });

  it('uses <own cgroup>/<id> without a cgroupsPath', () => {
    expect(resolveCgroupPaths(hybrid, undefined, 'abc', own).v1.memory).toBe('/sys/fs/cgroup/memory/user.slice/user-0.slice/abc');
    expect(resolveCgroupPaths(hybrid, '', 'abc', own).v1.devices).toBe('/sys/fs/cgroup/devices/abc');
  });

  it('cleans paths: a relative path cannot climb out of its parent', () => {
    expect(cleanCgroupPath('../../x/./y/')).toBe('x/y');
    expect(cleanCgroupPath('/a/../../b//c')).toBe('/b/c');
    expect(resolveCgroupPaths(hybrid, '../../../etc', 'id', own).v1.devices).toBe('/sys/fs/cgroup/devices/etc');
  });

  it("takes the own cgroup relative to the mount's root (nested container)", () => {
    const nested: CgroupLayout = {
      mode: 'v1',
      v1: [
        { mountpoint: '/sys/fs/cgroup/devices', subsystems: ['devices'], root: '/docker/abc' },
        { mountpoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], root: '/docker/abc' },
      ],
    };
    const o = ownCgroups('2:devices:/docker/abc/inner\n1:memory:/other\n');
    const p = resolveCgroupPaths(nested, 'ctr', 'id', o);
    expect(p).toEqual({ v1: { devices: '/sys/fs/cgroup/devices/inner/ctr', memory: '/sys/fs/cgroup/memory/ctr' } });
  });

  it('on v2: absolute under the mount, relative under the parent of the own cgroup', () => {
    expect(resolveCgroupPaths(v2, '/a/b', 'id', own)).toEqual({ v1: {}, v2: '/sys/fs/cgroup/a/b' });
    expect(resolveCgroupPaths(v2, 'a', 'id', own).v2).toBe('/sys/fs/cgroup/user.slice/user-0.slice/a');
    expect(resolveCgroupPaths(v2, undefined, 'id', own).v2).toBe('/sys/fs/cgroup/user.slice/user-0.slice/id');
    expect(resolveCgroupPaths(v2, undefined, 'id', ownCgroups('0::/\n')).v2).toBe('/sys/fs/cgroup/id');
  });

  it('prefixes every path with root', () => {
    expect(resolveCgroupPaths(v2, '/a', 'id', own, '/tmp/r')).toEqual({ v1: {}, v2: '/tmp/r/sys/fs/cgroup/a' });
    expect(resolveCgroupPaths(hybrid, '/a', 'id', own, '/tmp/r').v1.memory).toBe('/tmp/r/sys/fs/cgroup/memory/a');
  });

  it('refuses a v1 host without a devices hierarchy and skips hierarchies this process is not in', () => {
    const noDevices: CgroupLayout = { mode: 'v1', v1: [{ mountpoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], root: '/' }] };
    expect(() => resolveCgroupPaths(noDevices, '/x', 'id', own)).toThrow('mountpoint for devices not found');
    const p = resolveCgroupPaths(hybrid, 'x', 'id', ownCgroups('2:devices:/\n'));
    expect(Object.keys(p.v1)).toEqual(['devices']);
  });

  it('works from a layout read from mountinfo', () => {
    const l = readLayout('26 23 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n');
    expect(resolveCgroupPaths(l, undefined, 'c1', ownCgroups('0::/init.scope\n')).v2).toBe('/sys/fs/cgroup/c1');
  });
});

describe('systemd cgroupsPath', () => {
  it('parses slice:prefix:name into the scope unit and its cgroup', () => {
    expect(parseSystemdPath('system.slice:docker:1234')).toEqual({
      slice: 'system.slice',
      prefix: 'docker',
      name: '1234',
      unit: 'docker-1234.scope',
      path: '/system.slice/docker-1234.scope',
    });
  });

  it('expands nested slices, defaults to system.slice, and keeps a slice name as the unit', () => {
    expect(parseSystemdPath('machine-ctr.slice:p:n').path).toBe('/machine.slice/machine-ctr.slice/p-n.scope');
    expect(parseSystemdPath(':p:n').path).toBe('/system.slice/p-n.scope');
    expect(parseSystemdPath('-.slice:p:n').path).toBe('/p-n.scope');
    expect(parseSystemdPath('user.slice:p:my.slice')).toMatchObject({ unit: 'my.slice', path: '/user.slice/my.slice' });
  });

  it('uses runc-<id>.scope in system.slice without a cgroupsPath', () => {
    expect(parseSystemdPath(undefined, 'ctr')).toMatchObject({ slice: 'system.slice', prefix: 'runc', name: 'ctr', unit: 'runc-ctr.scope', path: '/system.slice/runc-ctr.scope' });
  });

  it("refuses other forms with runc's message", () => {
    expect(() => parseSystemdPath('/a/b')).toThrow('expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "/a/b" instead');
    expect(() => parseSystemdPath('a:b:c:d')).toThrow('got "a:b:c:d" instead');
  });

  it('refuses invalid slice names', () => {
    expect(expandSlice('a-b-c.slice')).toBe('/a.slice/a-b.slice/a-b-c.slice');
    expect(expandSlice('-.slice')).toBe('/');
    for (const bad of ['foo', '.slice'.slice(1), 'a/b.slice', 'a--b.slice', '-a.slice', 'a-.slice']) {
      expect(() => expandSlice(bad), bad).toThrow(`invalid slice name: ${bad}`);
    }
    expect(() => parseSystemdPath('nope:p:n')).toThrow('invalid slice name: nope');
  });
});
