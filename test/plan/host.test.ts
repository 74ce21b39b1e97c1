import { describe, expect, it } from 'vitest';
import { parseMountInfo } from '../../src/plan/host.js';

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
