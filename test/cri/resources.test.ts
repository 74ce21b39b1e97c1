/**
 * Resources through the CRI: CPU and memory limits in the container's cgroup (read on the host, through the
 * container's pid), their enforcement (CFS throttling, the OOM killer and ContainerStatus' OOMKilled),
 * UpdateContainerResources and ContainerStats.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CGROUP_V1, Pod, cgroupFile, client, exited, pidOf, removeLeftPods, waitFor } from './helpers.js';

afterAll(removeLeftPods);

const MiB = 1024 * 1024;

describe.runIf(CGROUP_V1)('container resources (cgroup v1)', () => {
  it('sets CPU shares, quota and period and the memory limit in the cgroup, and throttles a busy container', async () => {
    const pod = await Pod.run('limits');
    const c = await pod.start('busy', ['sh', '-c', 'while :; do :; done'], {}, { resources: { cpuShares: 512, cpuPeriod: 100000, cpuQuota: 20000, memoryLimitInBytes: 96 * MiB } });
    const pid = await pidOf(c);
    expect(cgroupFile(pid, 'cpu', 'cpu.shares')).toBe('512');
    expect(cgroupFile(pid, 'cpu', 'cpu.cfs_period_us')).toBe('100000');
    expect(cgroupFile(pid, 'cpu', 'cpu.cfs_quota_us')).toBe('20000');
    expect(cgroupFile(pid, 'memory', 'memory.limit_in_bytes')).toBe(String(96 * MiB));
    // The container's own cgroup, beneath the pod's parent, named by its id.
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toMatch(new RegExp(`:memory:${pod.config.linux.cgroupParent}/${c}$`, 'm'));
    const u0 = Number(cgroupFile(pid, 'cpuacct', 'cpuacct.usage'));
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    const used = (Number(cgroupFile(pid, 'cpuacct', 'cpuacct.usage')) - u0) / 1e6;
    const wall = Date.now() - t0;
    const throttled = Number(/nr_throttled (\d+)/.exec(cgroupFile(pid, 'cpu', 'cpu.stat'))![1]);
    expect(throttled).toBeGreaterThan(3);
    expect(used / wall).toBeLessThan(0.35); // 20% of one CPU, with slack
    expect(used / wall).toBeGreaterThan(0.05);
    await pod.remove();
  });

  it('reports OOMKilled when the memory limit is exceeded', async () => {
    const pod = await Pod.run('oom');
    const c = await pod.start('hog', ['tsrun-test-payload', 'alloc', '256'], {}, { resources: { memoryLimitInBytes: 32 * MiB, memorySwapLimitInBytes: 32 * MiB } });
    const s = await exited(c);
    expect(s.reason).toBe('OOMKilled');
    expect(s.exitCode).toBe(137);
    await pod.remove();
  });

  it('applies UpdateContainerResources to the running container', async () => {
    const pod = await Pod.run('update');
    const c = await pod.start('main', ['sleep', '1000'], {}, { resources: { cpuShares: 256, cpuPeriod: 100000, cpuQuota: 50000, memoryLimitInBytes: 64 * MiB } });
    const pid = await pidOf(c);
    expect(cgroupFile(pid, 'memory', 'memory.limit_in_bytes')).toBe(String(64 * MiB));
    await client.updateContainerResources(c, { cpuShares: 768, cpuPeriod: 100000, cpuQuota: 30000, memoryLimitInBytes: 128 * MiB });
    expect(cgroupFile(pid, 'memory', 'memory.limit_in_bytes')).toBe(String(128 * MiB));
    expect(cgroupFile(pid, 'cpu', 'cpu.cfs_quota_us')).toBe('30000');
    expect(cgroupFile(pid, 'cpu', 'cpu.shares')).toBe('768');
    const { status } = await client.containerStatus(c);
    expect(status.resources?.linux?.memoryLimitInBytes).toBe(128 * MiB);
    expect(status.resources?.linux?.cpuQuota).toBe(30000);
    await pod.remove();
  });

  it('gives ContainerStats: CPU time, memory in use, the writable layer', async () => {
    const pod = await Pod.run('stats');
    const c = await pod.start('main', ['tsrun-test-payload', 'alloc', '20'], {}, { resources: { memoryLimitInBytes: 256 * MiB } });
    await waitFor(
      async () => readFileSync(pod.logPath('main'), 'utf8'),
      (l) => l.includes('allocated'),
    ).catch(() => '');
    const stats = await client.containerStats(c);
    expect(stats.attributes.id).toBe(c);
    expect(stats.attributes.metadata.name).toBe('main');
    expect(stats.cpu.usageCoreNanoSeconds.value).toBeGreaterThan(0);
    expect(stats.memory.workingSetBytes.value).toBeGreaterThan(20 * MiB);
    expect(stats.memory.workingSetBytes.value).toBeLessThan(256 * MiB);
    expect(stats.writableLayer.fsId.mountpoint).toMatch(/overlayfs/);
    const listed = await client.call('ListContainerStats', { filter: { podSandboxId: pod.id } });
    expect(listed.stats.map((s: { attributes: { id: string } }) => s.attributes.id)).toEqual([c]);
    await pod.remove();
  });
});
