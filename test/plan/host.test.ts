import { describe, expect, it } from 'vitest';
import { describeCgroups, parseMountInfo, parseProcCgroup } from '../../src/plan/host.js';

const HYBRID_MOUNTINFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '25 22 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate',
  '32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd',
  '35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct',
  '36 30 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,memory',
  '37 30 0:33 / /sys/fs/cgroup/net_cls rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,net_cls,release_agent=/x',
  '',
].join('\n');

const HYBRID_CGROUP = [
  '12:memory:/user.slice/user-0.slice',
  '4:cpuacct,cpu:/user.slice',
  '3:net_cls:/',
  '1:name=systemd:/user.slice/user-0.slice/session-1.scope',
  '0::/user.slice/user-0.slice/session-1.scope',
  '',
].join('\n');

describe('parseMountInfo', () => {
  it('reads root, mount point, fstype and super options, skipping optional fields', () => {
    expect(parseMountInfo(HYBRID_MOUNTINFO)[3]).toEqual({
      root: '/',
      mountpoint: '/sys/fs/cgroup/unified',
      fstype: 'cgroup2',
      superOptions: ['rw', 'nsdelegate'],
    });
  });

  it('reads lines without optional fields', () => {
    expect(parseMountInfo('40 22 0:40 / /mnt rw - tmpfs none rw,size=10k\n')).toEqual([
      { root: '/', mountpoint: '/mnt', fstype: 'tmpfs', superOptions: ['rw', 'size=10k'] },
    ]);
  });

  it('decodes octal escapes in root and mount point', () => {
    const [m] = parseMountInfo('41 22 8:1 /dir\\040with\\011tab /mnt/my\\040disk\\134x rw shared:3 - ext4 /dev/sda1 rw\n');
    expect(m!.root).toBe('/dir with\ttab');
    expect(m!.mountpoint).toBe('/mnt/my disk\\x');
  });

  it('skips empty and malformed lines', () => {
    expect(parseMountInfo('\ngarbage\n1 2 3\n')).toEqual([]);
    expect(parseMountInfo(HYBRID_MOUNTINFO)).toHaveLength(8);
  });
});

describe('parseProcCgroup', () => {
  it('maps each controller list (empty for v2) to its path', () => {
    const m = parseProcCgroup(HYBRID_CGROUP);
    expect([...m.entries()]).toEqual([
      ['memory', '/user.slice/user-0.slice'],
      ['cpuacct,cpu', '/user.slice'],
      ['net_cls', '/'],
      ['name=systemd', '/user.slice/user-0.slice/session-1.scope'],
      ['', '/user.slice/user-0.slice/session-1.scope'],
    ]);
  });

  it('keeps colons inside the path', () => {
    expect(parseProcCgroup('0::/a:b\n').get('')).toBe('/a:b');
  });
});

describe('describeCgroups', () => {
  it('describes a hybrid host: v1 hierarchies with the own cgroup path, cgroup2 beside them', () => {
    expect(describeCgroups(HYBRID_MOUNTINFO, HYBRID_CGROUP)).toEqual({
      v1: [
        {
          mountpoint: '/sys/fs/cgroup/systemd',
          subsystems: ['name=systemd'],
          path: '/sys/fs/cgroup/systemd/user.slice/user-0.slice/session-1.scope',
        },
        { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', subsystems: ['cpu', 'cpuacct'], path: '/sys/fs/cgroup/cpu,cpuacct/user.slice' },
        { mountpoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], path: '/sys/fs/cgroup/memory/user.slice/user-0.slice' },
        { mountpoint: '/sys/fs/cgroup/net_cls', subsystems: ['net_cls'], path: '/sys/fs/cgroup/net_cls' },
      ],
      hybrid: true,
    });
  });

  it('describes a pure v2 host', () => {
    const mi = [
      '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
      '30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot',
    ].join('\n');
    expect(describeCgroups(mi, '0::/system.slice/foo.service\n')).toEqual({
      v1: [],
      v2: { mountpoint: '/sys/fs/cgroup', path: '/sys/fs/cgroup/system.slice/foo.service' },
      hybrid: false,
    });
  });

  it('makes the own path relative to a mount whose root is not "/" (inside a container)', () => {
    const mi = '30 25 0:26 /docker/abc /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n';
    expect(describeCgroups(mi, '0::/docker/abc/sub\n').v2).toEqual({ mountpoint: '/sys/fs/cgroup', path: '/sys/fs/cgroup/sub' });
    expect(describeCgroups(mi, '0::/docker/abc\n').v2).toEqual({ mountpoint: '/sys/fs/cgroup', path: '/sys/fs/cgroup' });
    const v1 = '36 30 0:32 /docker/abc /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n';
    expect(describeCgroups(v1, '5:memory:/docker/abc/x\n').v1).toEqual([
      { mountpoint: '/sys/fs/cgroup/memory', subsystems: ['memory'], path: '/sys/fs/cgroup/memory/x' },
    ]);
  });

  it('keeps the first of two mounts of the same hierarchy', () => {
    const mi = [
      '36 30 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
      '50 22 0:32 / /mnt/memory rw - cgroup cgroup rw,memory',
    ].join('\n');
    expect(describeCgroups(mi, '5:memory:/a\n').v1.map((h) => h.mountpoint)).toEqual(['/sys/fs/cgroup/memory']);
  });

  it('ignores v1 hierarchies this process is not in', () => {
    const mi = '36 30 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n';
    expect(describeCgroups(mi, '0::/\n')).toEqual({ v1: [], v2: undefined, hybrid: false });
  });
});
