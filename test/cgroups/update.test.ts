import { describe, expect, it } from 'vitest';
import { openCgroupManager, updateResources } from '../../src/cgroups/index.js';
import { CgroupV1Manager } from '../../src/cgroups/v1.js';
import { CgroupV2Manager } from '../../src/cgroups/v2.js';
import type { LinuxResources } from '../../src/spec/schema.js';

const OLD: LinuxResources = {
  devices: [{ allow: false, access: 'rwm' }],
  memory: { limit: 1000, reservation: 500, swap: 2000, swappiness: 30, disableOOMKiller: true },
  cpu: { shares: 512, quota: 50000, period: 100000, burst: 10, realtimeRuntime: 5, realtimePeriod: 6, cpus: '0-1', mems: '0', idle: 1 },
  pids: { limit: 100 },
  blockIO: {
    weight: 300,
    leafWeight: 200,
    weightDevice: [{ major: 8, minor: 0, weight: 400, leafWeight: 100 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }],
  },
  hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
  network: { classID: 7 },
  rdma: { mlx5_1: { hcaHandles: 3 } },
  unified: { 'memory.high': '10' },
};

describe('updateResources', () => {
  it('keeps what the patch leaves out, except the fields runc assigns as given', () => {
    const r = updateResources(OLD, {});
    expect(r.memory).toEqual({ limit: 1000, reservation: 500, swap: 2000, swappiness: 30, disableOOMKiller: true, checkBeforeUpdate: false });
    // quota and period both absent: both reset (runc stores 0, "not set"); cpus, mems, burst, idle: as given.
    expect(r.cpu).toEqual({ shares: 512, realtimeRuntime: 5, realtimePeriod: 6 });
    expect(r.pids).toEqual({});
    expect(r.unified).toBeUndefined();
    expect(r.blockIO).toEqual(OLD.blockIO);
    expect(r.devices).toEqual(OLD.devices);
    expect(r.hugepageLimits).toEqual(OLD.hugepageLimits);
    expect(r.network).toEqual(OLD.network);
    expect(r.rdma).toEqual(OLD.rdma);
  });

  it('replaces the fields the patch gives', () => {
    const r = updateResources(OLD, {
      memory: { limit: 3000, reservation: 1, swap: 6000, checkBeforeUpdate: true },
      cpu: { shares: 1024, quota: 20000, period: 40000, burst: 5, cpus: '3', mems: '1', idle: 0, realtimeRuntime: 7, realtimePeriod: 8 },
      pids: { limit: 5 },
      unified: { 'io.max': '8:0 rbps=1' },
    });
    expect(r.memory).toEqual({ limit: 3000, reservation: 1, swap: 6000, swappiness: 30, disableOOMKiller: true, checkBeforeUpdate: true });
    expect(r.cpu).toEqual({ shares: 1024, quota: 20000, period: 40000, burst: 5, cpus: '3', mems: '1', idle: 0, realtimeRuntime: 7, realtimePeriod: 8 });
    expect(r.pids).toEqual({ limit: 5 });
    expect(r.unified).toEqual({ 'io.max': '8:0 rbps=1' });
  });

  it('keeps the old period when only the quota is given, and the old quota when only the period is', () => {
    expect(updateResources(OLD, { cpu: { quota: 1 } }).cpu).toMatchObject({ quota: 1, period: 100000 });
    expect(updateResources(OLD, { cpu: { period: 2 } }).cpu).toMatchObject({ quota: 50000, period: 2 });
  });

  it('sets swap 0 for an unlimited memory without swap, and shares 0 for idle without shares', () => {
    expect(updateResources(OLD, { memory: { limit: -1 } }).memory).toMatchObject({ limit: -1, swap: 0 });
    expect(updateResources(OLD, { memory: { limit: -1, swap: 5 } }).memory).toMatchObject({ limit: -1, swap: 5 });
    expect(updateResources(OLD, { cpu: { idle: 1 } }).cpu).toMatchObject({ idle: 1, shares: 0 });
  });

  it('updates block I/O devices in place or appends them', () => {
    const r = updateResources(OLD, {
      blockIO: {
        weight: 10,
        weightDevice: [{ major: 8, minor: 0, weight: 50 }, { major: 8, minor: 16, leafWeight: 20 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 9 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 3 }],
      },
    });
    expect(r.blockIO).toEqual({
      weight: 10,
      leafWeight: 200,
      weightDevice: [
        { major: 8, minor: 0, weight: 50, leafWeight: 100 },
        { major: 8, minor: 16, leafWeight: 20 },
      ],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 9 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 3 }],
    });
    expect(OLD.blockIO!.weightDevice![0]!.weight).toBe(400);
  });

  it('starts from nothing without old resources', () => {
    expect(updateResources(undefined, { memory: { limit: 5 } })).toEqual({ memory: { limit: 5, checkBeforeUpdate: false }, cpu: {}, blockIO: {}, pids: {} });
  });
});

describe('openCgroupManager', () => {
  it('picks v1 for v1 and hybrid hosts and v2 for the unified hierarchy', () => {
    const v1 = { v1: [{ mountpoint: '/sys/fs/cgroup/devices', subsystems: ['devices'], root: '/' }] };
    expect(openCgroupManager({ layout: { mode: 'v1', ...v1 }, paths: { v1: { devices: '/x' } } })).toBeInstanceOf(CgroupV1Manager);
    const hybrid = openCgroupManager({
      layout: { mode: 'hybrid', ...v1, v2: { mountpoint: '/sys/fs/cgroup/unified', root: '/' } },
      paths: { v1: { devices: '/x' }, v2: '/sys/fs/cgroup/unified/x' },
    });
    expect(hybrid).toBeInstanceOf(CgroupV1Manager);
    expect(hybrid.paths.v2).toBe('/sys/fs/cgroup/unified/x');
    const v2 = openCgroupManager({ layout: { mode: 'v2', v1: [], v2: { mountpoint: '/sys/fs/cgroup', root: '/' } }, paths: { v1: {}, v2: '/sys/fs/cgroup/x' } });
    expect(v2).toBeInstanceOf(CgroupV2Manager);
    expect(v2.driver).toBe('cgroupfs');
  });
});
