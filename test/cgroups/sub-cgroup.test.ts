import { describe, expect, it } from 'vitest';
import { parseSubCgroups, subCgroupPaths } from '../../src/cgroups/sub-cgroup.js';

const V1 = {
  v1: {
    cpu: '/sys/fs/cgroup/cpu,cpuacct/ctr',
    cpuacct: '/sys/fs/cgroup/cpu,cpuacct/ctr',
    memory: '/sys/fs/cgroup/memory/ctr',
    pids: '/sys/fs/cgroup/pids/ctr',
    'name=systemd': '/sys/fs/cgroup/systemd/ctr',
  },
  v2: '/sys/fs/cgroup/unified/ctr',
};
const V2 = { v1: {}, v2: '/sys/fs/cgroup/ctr' };
const yes = () => true;

describe('parseSubCgroups (runc getSubCgroupPaths)', () => {
  it('reads a path for every hierarchy, or comma-separated controllers with a path', () => {
    expect(parseSubCgroups([])).toBeUndefined();
    expect(parseSubCgroups(['sub'])).toEqual(new Map([['', 'sub']]));
    expect(parseSubCgroups(['cpu,cpuacct:a', 'memory:b'])).toEqual(new Map([['cpu', 'a'], ['cpuacct', 'a'], ['memory', 'b']]));
  });

  it("refuses what runc refuses, with runc's words", () => {
    expect(() => parseSubCgroups(['a:b:c'])).toThrow('invalid --cgroup argument: a:b:c');
    expect(() => parseSubCgroups(['sub', 'memory:x'])).toThrow('invalid --cgroup argument: sub (missing <controller>: prefix)');
  });
});

describe('subCgroupPaths', () => {
  it('puts every hierarchy in the sub-cgroup (v2: the only form)', () => {
    expect(subCgroupPaths(V2, new Map([['', 'sub/leaf']]), yes)).toEqual({ v1: {}, v2: '/sys/fs/cgroup/ctr/sub/leaf' });
    const p = subCgroupPaths(V1, new Map([['', 'sub']]), yes);
    expect(p.v1.memory).toBe('/sys/fs/cgroup/memory/ctr/sub');
    expect(p.v1['name=systemd']).toBe('/sys/fs/cgroup/systemd/ctr/sub');
    expect(p.v2).toBe('/sys/fs/cgroup/unified/ctr/sub');
  });

  it("keeps the container's directory in a best-effort hierarchy that lacks the sub-cgroup (v1), never on v2", () => {
    const p = subCgroupPaths(V1, new Map([['', 'sub']]), (d) => !d.includes('/systemd/') && !d.includes('/unified/'));
    expect(p.v1['name=systemd']).toBe('/sys/fs/cgroup/systemd/ctr');
    expect(p.v2).toBe('/sys/fs/cgroup/unified/ctr');
    expect(p.v1.pids).toBe('/sys/fs/cgroup/pids/ctr/sub');
    expect(subCgroupPaths(V2, new Map([['', 'sub']]), () => false).v2).toBe('/sys/fs/cgroup/ctr/sub');
  });

  it('moves only the named controllers, and their co-mounted ones', () => {
    const p = subCgroupPaths(V1, new Map([['cpu', 'x']]), yes);
    expect(p.v1.cpu).toBe('/sys/fs/cgroup/cpu,cpuacct/ctr/x');
    expect(p.v1.cpuacct).toBe('/sys/fs/cgroup/cpu,cpuacct/ctr/x');
    expect(p.v1.memory).toBe('/sys/fs/cgroup/memory/ctr');
    expect(p.v2).toBe('/sys/fs/cgroup/unified/ctr');
  });

  it("refuses paths outside the container's cgroup and unknown controllers, with runc's words", () => {
    expect(() => subCgroupPaths(V2, new Map([['', '../other']]), yes)).toThrow('../other is not a sub cgroup path');
    expect(() => subCgroupPaths(V2, new Map([['', '../ctr2']]), yes)).toThrow('../ctr2 is not a sub cgroup path');
    expect(() => subCgroupPaths(V1, new Map([['memory', '../../x']]), yes)).toThrow('../../x is not a sub cgroup path');
    expect(() => subCgroupPaths(V2, new Map([['memory', 'x']]), yes)).toThrow('unknown controller memory in SubCgroupPaths');
    expect(() => subCgroupPaths(V1, new Map([['blkio', 'x']]), yes)).toThrow('unknown controller blkio in SubCgroupPaths');
  });
});
