import { describe, expect, it } from 'vitest';
import { cgroupView, type CgroupRecord } from '../../src/runtime/cgroup.js';

const hybrid: CgroupRecord = {
  driver: 'cgroupfs',
  layout: {
    mode: 'hybrid',
    v1: [
      { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', subsystems: ['cpu', 'cpuacct'], root: '/' },
      { mountpoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], root: '/' },
      { mountpoint: '/sys/fs/cgroup/systemd', subsystems: ['name=systemd'], root: '/' },
      { mountpoint: '/sys/fs/cgroup/net_cls', subsystems: ['net_cls'], root: '/' },
    ],
    v2: { mountpoint: '/sys/fs/cgroup/unified', root: '/' },
  },
  paths: {
    v1: { cpu: '/sys/fs/cgroup/cpu,cpuacct/ctr', cpuacct: '/sys/fs/cgroup/cpu,cpuacct/ctr', memory: '/sys/fs/cgroup/memory/ctr', systemd: '/sys/fs/cgroup/systemd/ctr' },
    v2: '/sys/fs/cgroup/unified/ctr',
  },
};

describe("the plan's view of the container's cgroups", () => {
  it('hybrid: every v1 hierarchy the container has a directory in, with that directory; no v2 mount of its own', () => {
    expect(cgroupView(hybrid)).toEqual({
      v1: [
        { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', subsystems: ['cpu', 'cpuacct'], path: '/sys/fs/cgroup/cpu,cpuacct/ctr' },
        { mountpoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], path: '/sys/fs/cgroup/memory/ctr' },
        { mountpoint: '/sys/fs/cgroup/systemd', subsystems: ['name=systemd'], path: '/sys/fs/cgroup/systemd/ctr' },
      ],
      v2: undefined,
      hybrid: true,
    });
  });

  it('pure v2: the unified mount and the container directory', () => {
    const r: CgroupRecord = { driver: 'cgroupfs', layout: { mode: 'v2', v1: [], v2: { mountpoint: '/sys/fs/cgroup', root: '/' } }, paths: { v1: {}, v2: '/sys/fs/cgroup/a/ctr' } };
    expect(cgroupView(r)).toEqual({ v1: [], v2: { mountpoint: '/sys/fs/cgroup', path: '/sys/fs/cgroup/a/ctr' }, hybrid: false });
  });
});
