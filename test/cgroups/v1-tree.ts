/** A fake cgroup v1 (hybrid) host under a temporary root: hierarchies, their interface files, a layout. */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { CgroupLayout } from '../../src/cgroups/types.js';
import { FakeCgroupIO, tempRoot, writeTree } from './fake-cgroupfs.js';

export const HIERARCHIES: [mount: string, subsystems: string[]][] = [
  ['cpu', ['cpu']],
  ['cpuacct', ['cpuacct']],
  ['cpuset', ['cpuset']],
  ['memory', ['memory']],
  ['devices', ['devices']],
  ['freezer', ['freezer']],
  ['blkio', ['blkio']],
  ['pids', ['pids']],
  ['hugetlb', ['hugetlb']],
  ['net_cls,net_prio', ['net_cls', 'net_prio']],
  ['rdma', ['rdma']],
  ['systemd', ['name=systemd']],
];

/** The interface files a new directory of each hierarchy gets, with a fresh cgroup's values. */
export function v1Files(hierarchy: string): Record<string, string> {
  const files: Record<string, Record<string, string>> = {
    cpu: {
      'cpu.shares': '1024\n',
      'cpu.cfs_period_us': '100000\n',
      'cpu.cfs_quota_us': '-1\n',
      'cpu.cfs_burst_us': '0\n',
      'cpu.rt_period_us': '1000000\n',
      'cpu.rt_runtime_us': '0\n',
      'cpu.idle': '0\n',
      'cpu.stat': 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n',
    },
    cpuacct: { 'cpuacct.usage': '0\n', 'cpuacct.stat': 'user 0\nsystem 0\n', 'cpuacct.usage_percpu': '0 0 \n' },
    cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n', 'cpuset.cpu_exclusive': '0\n' },
    memory: {
      'memory.limit_in_bytes': '9223372036854771712\n',
      'memory.memsw.limit_in_bytes': '9223372036854771712\n',
      'memory.soft_limit_in_bytes': '9223372036854771712\n',
      'memory.swappiness': '60\n',
      'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
      'memory.usage_in_bytes': '0\n',
      'memory.max_usage_in_bytes': '0\n',
      'memory.failcnt': '0\n',
      'memory.use_hierarchy': '1\n',
    },
    devices: { 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' },
    freezer: { 'freezer.state': 'THAWED\n', 'freezer.self_freezing': '0\n', 'freezer.parent_freezing': '0\n' },
    blkio: {
      'blkio.weight': '500\n',
      'blkio.leaf_weight': '500\n',
      'blkio.weight_device': '',
      'blkio.leaf_weight_device': '',
      'blkio.throttle.read_bps_device': '',
      'blkio.throttle.write_bps_device': '',
      'blkio.throttle.read_iops_device': '',
      'blkio.throttle.write_iops_device': '',
    },
    pids: { 'pids.max': 'max\n', 'pids.current': '0\n' },
    hugetlb: {
      'hugetlb.2MB.limit_in_bytes': '9223372036854771712\n',
      'hugetlb.2MB.rsvd.limit_in_bytes': '9223372036854771712\n',
      'hugetlb.1GB.limit_in_bytes': '9223372036854771712\n',
      'hugetlb.1GB.rsvd.limit_in_bytes': '9223372036854771712\n',
    },
    'net_cls,net_prio': { 'net_cls.classid': '0\n', 'net_prio.ifpriomap': 'lo 0\n' },
    rdma: { 'rdma.max': '', 'rdma.current': '' },
    systemd: {},
    unified: { 'cgroup.kill': '', 'cgroup.events': 'populated 0\nfrozen 0\n' },
  };
  return { 'cgroup.procs': '', ...(files[hierarchy] ?? {}) };
}

export interface V1Host {
  root: string;
  io: FakeCgroupIO;
  layout: CgroupLayout;
}

/** A hybrid host's mounts under a temporary root (or a v1-only host without `unified`). */
export function v1Host(o: { without?: string[]; unified?: boolean } = {}): V1Host {
  const root = tempRoot();
  const hs = HIERARCHIES.filter(([m]) => !(o.without ?? []).includes(m));
  const layout: CgroupLayout = {
    mode: o.unified === false ? 'v1' : 'hybrid',
    v1: hs.map(([m, subsystems]) => ({ mountpoint: `/sys/fs/cgroup/${m}`, subsystems, root: '/' })),
  };
  for (const [m] of hs) mkdirSync(join(root, 'sys/fs/cgroup', m), { recursive: true });
  writeTree(root, { 'sys/fs/cgroup/cpuset/cpuset.cpus': '0-3\n', 'sys/fs/cgroup/cpuset/cpuset.mems': '0\n' });
  if (o.unified !== false) {
    layout.v2 = { mountpoint: '/sys/fs/cgroup/unified', root: '/' };
    mkdirSync(join(root, 'sys/fs/cgroup/unified'), { recursive: true });
  }
  const io = new FakeCgroupIO(root, (rel) => {
    const m = /^\/sys\/fs\/cgroup\/([^/]+)\//.exec(rel);
    return v1Files(m ? m[1]! : '');
  });
  return { root, io, layout };
}
