import { describe, expect, it } from 'vitest';
import { runcStats } from '../../src/cgroups/runc-stats.js';
import { emptyStats } from '../../src/cgroups/stats-common.js';
import type { CgroupStats } from '../../src/cgroups/types.js';
import { stringifyJson } from '../../src/util/json.js';

describe('runcStats', () => {
  it("prints runc 1.1.5's types.Stats: every section, omitempty, sorted maps, exact counters", () => {
    const s: CgroupStats = emptyStats();
    s.cpu.usage = { total: 10981515n, percpu: [2468168n, 8513347n], kernel: 0n, user: 0n };
    s.cpu.throttling = { periods: 0n, throttledPeriods: 0n, throttledTime: 0n };
    s.cpuset = { cpus: [0, 1], mems: [0], cpu_exclusive: 0n, sched_load_balance: 1n, sched_relax_domain_level: -1n };
    s.memory = {
      cache: 0n,
      usage: { limit: 9223372036854771712n, usage: 413696n, max: 2772992n, failcnt: 0n },
      kernelTCP: { limit: 9223372036854771712n, usage: 0n, max: 0n, failcnt: 0n },
      raw: { total_rss: 5n, cache: 0n, active_anon: 1n },
    };
    s.pids = { current: 1n, limit: 0n };
    s.blkio = { ioServicedRecursive: [{ major: 8n, minor: 0n, op: 'Read', value: 0n }], ioQueueRecursive: [] };
    s.hugetlb = { '2MB': { usage: 0n, failcnt: 0n }, '1GB': { usage: 2n, max: 3n, failcnt: 1n } };
    expect(stringifyJson(runcStats(s))).toBe(
      '{"cpu":{"usage":{"total":10981515,"percpu":[2468168,8513347],"kernel":0,"user":0},"throttling":{}},' +
        '"cpuset":{"cpus":[0,1],"cpu_exclusive":0,"mems":[0],"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,' +
        '"memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":1,"sched_relax_domain_level":-1},' +
        '"memory":{"usage":{"limit":9223372036854771712,"usage":413696,"max":2772992,"failcnt":0},"swap":{"limit":0,"failcnt":0},' +
        '"kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":9223372036854771712,"failcnt":0},"raw":{"active_anon":1,"cache":0,"total_rss":5}},' +
        '"pids":{"current":1},"blkio":{"ioServicedRecursive":[{"major":8,"op":"Read"}]},' +
        '"hugetlb":{"1GB":{"usage":2,"max":3,"failcnt":1},"2MB":{"failcnt":0}},"intel_rdt":{},"network_interfaces":null}',
    );
  });

  it('prints the sections runc always prints when no file was there', () => {
    const out = JSON.parse(stringifyJson(runcStats(emptyStats())));
    expect(Object.keys(out)).toEqual(['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
    expect(out.hugetlb).toEqual({});
    expect(out.intel_rdt).toEqual({});
    expect(out.network_interfaces).toBeNull();
    expect(out.memory).toEqual({ usage: { limit: 0, failcnt: 0 }, swap: { limit: 0, failcnt: 0 }, kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 } });
  });
});
