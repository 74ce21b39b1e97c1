import { existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Harness, IS_TSRUN, baseConfig, processesUsing, waitFor } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

function run(config: ReturnType<typeof baseConfig>) {
  const id = h.id('iso');
  const bundle = h.bundle(config);
  return { ...h.rt(['run', '--bundle', bundle, id]), id, bundle };
}

describe('isolation', () => {
  it('sets the hostname in its own uts namespace', () => {
    const cfg = baseConfig(['hostname']);
    cfg.hostname = 'box-one';
    const r = run(cfg);
    expect(r.stdout).toBe('box-one\n');
    expect(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()).not.toBe('box-one');
  });

  it('makes the root read-only when root.readonly is set', () => {
    const cfg = baseConfig(['sh', '-c', 'touch /x 2>&1 || echo refused; touch /tmp/y && echo tmp-ok']);
    cfg.root.readonly = true;
    cfg.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] });
    const r = run(cfg);
    expect(r.stdout).toContain('Read-only file system');
    expect(r.stdout).toContain('refused');
    expect(r.stdout).toContain('tmp-ok');
  });

  it('mounts binds read-write and read-only, and tmpfs with its options', () => {
    const rw = join(h.work, 'rw-src');
    const ro = join(h.work, 'ro-src');
    mkdirSync(rw);
    mkdirSync(ro);
    writeFileSync(join(ro, 'file'), 'from host\n');
    const file = join(h.work, 'single-file');
    writeFileSync(file, 'single\n');
    const cfg = baseConfig([
      'sh',
      '-c',
      [
        'echo written > /mnt/rw/new',
        'cat /mnt/ro/file',
        '(echo x > /mnt/ro/other) 2>/dev/null || echo ro-refused',
        'cat /etc/single',
        'grep " /scratch " /proc/self/mounts',
        'echo y > /scratch/z && echo scratch-ok',
      ].join('; '),
    ]);
    cfg.mounts.push(
      { destination: '/mnt/rw', type: 'bind', source: rw, options: ['rbind', 'rw'] },
      { destination: '/mnt/ro', type: 'bind', source: ro, options: ['bind', 'ro'] },
      { destination: '/etc/single', type: 'bind', source: file, options: ['bind', 'ro'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=1m', 'mode=700'] },
    );
    const r = run(cfg);
    expect(r.stderr).toBe('');
    expect(readFileSync(join(rw, 'new'), 'utf8')).toBe('written\n');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('from host');
    expect(lines[1]).toBe('ro-refused');
    expect(lines[2]).toBe('single');
    expect(lines[3]).toMatch(/^tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=700/);
    expect(lines[4]).toBe('scratch-ok');
    // Mount points were created in the rootfs; nothing of it reached the host's mount table.
    expect(processesUsing(join(r.bundle, 'rootfs'))).toEqual([]);
  });

  it('creates default devices and the /dev symlinks', () => {
    const r = run(baseConfig(['sh', '-c', 'ls -l /dev | grep -E " (null|zero|full|random|urandom|tty|ptmx|fd|stdin|stdout|stderr)( |$)"']));
    const ls = r.stdout;
    for (const [name, dev] of [['null', '1,   3'], ['zero', '1,   5'], ['full', '1,   7'], ['random', '1,   8'], ['urandom', '1,   9'], ['tty', '5,   0']])
      expect(ls).toMatch(new RegExp(`^crw-rw-rw-.* ${dev} .* ${name}$`, 'm'));
    expect(ls).toMatch(/ ptmx -> pts\/ptmx$/m);
    expect(ls).toMatch(/ fd -> \/proc\/self\/fd$/m);
    expect(ls).toMatch(/ stdin -> \/proc\/self\/fd\/0$/m);
    expect(ls).toMatch(/ stderr -> \/proc\/self\/fd\/2$/m);
  });

  it('creates the devices of linux.devices with their mode and owner', () => {
    const cfg = baseConfig(['sh', '-c', 'ls -ln /dev/mydev /dev/sub/fifo']);
    cfg.linux.devices = [
      { path: '/dev/mydev', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 1000, gid: 5 },
      { path: '/dev/sub/fifo', type: 'p', fileMode: 0o600 },
    ];
    const r = run(cfg);
    expect(r.stdout).toMatch(/^crw-r-----\s+1 1000\s+5\s+1,\s+3 .* \/dev\/mydev$/m);
    expect(r.stdout).toMatch(/^prw-------\s+1 0\s+0\s.* \/dev\/sub\/fifo$/m);
  });

  it('joins namespaces of another container by path', () => {
    const id = h.id('owner');
    const owner = baseConfig(['sleep', '1000']);
    owner.hostname = 'shared-uts';
    const ownerBundle = h.bundle(owner);
    expect(h.rt(['run', '-d', '--bundle', ownerBundle, id]).status).toBe(0);
    const pid = h.state(id).pid;
    const cfg = baseConfig(['sh', '-c', 'hostname; for n in uts net ipc; do readlink /proc/self/ns/$n; done']);
    cfg.hostname = undefined;
    cfg.linux.namespaces = cfg.linux.namespaces.map((n: { type: string }) =>
      ['uts', 'network', 'ipc'].includes(n.type) ? { type: n.type, path: `/proc/${pid}/ns/${n.type === 'network' ? 'net' : n.type}` } : n,
    );
    const r = run(cfg);
    expect(r.stderr).toBe('');
    const [host, uts, net, ipc] = r.stdout.trim().split('\n');
    expect(host).toBe('shared-uts');
    expect(uts).toBe(readlinkSync(`/proc/${pid}/ns/uts`));
    expect(net).toBe(readlinkSync(`/proc/${pid}/ns/net`));
    expect(ipc).toBe(readlinkSync(`/proc/${pid}/ns/ipc`));
    expect(h.rt(['delete', '--force', id]).status).toBe(0);
  });

  it('runs in a user namespace with the configured id mappings', () => {
    const cfg = baseConfig(['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; ls -ln /dev/null']);
    cfg.linux.namespaces.push({ type: 'user' });
    cfg.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    cfg.linux.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
    const r = run(cfg);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(lines[0]).toEqual(['0', '200000', '65536']);
    expect(lines[1]).toEqual(['0', '300000', '65536']);
    expect(lines[2]).toEqual(['0']);
    // No mknod in a user namespace: the host's /dev/null is bind-mounted (owned by the unmapped host root).
    expect(lines[3]?.[0]).toBe('crw-rw-rw-');
    expect(lines[3]?.[2]).toBe('65534');
  });

  it('masks and makes read-only the configured paths', () => {
    const cfg = baseConfig([
      'sh',
      '-c',
      'cat /etc/group | wc -c; ls /home | wc -l; (echo 1 > /proc/sys/kernel/ns_last_pid) 2>/dev/null || echo sys-ro; (touch /root/x) 2>/dev/null || echo root-ro; ls /no/such/path 2>&1 | wc -l',
    ]);
    cfg.linux.maskedPaths.push('/etc/group', '/home', '/no/such/path');
    cfg.linux.readonlyPaths.push('/root');
    const r = run(cfg);
    expect(r.stderr).toBe('');
    // A masked file reads as empty, a masked directory is an empty read-only tmpfs; a missing path is skipped.
    expect(r.stdout.trim().split('\n')).toEqual(['0', '0', 'sys-ro', 'root-ro', '1']);
  });

  it('binds /sys when there is no network namespace (sysfs cannot be mounted then)', () => {
    const cfg = baseConfig(['sh', '-c', 'ls /sys/class/net | sort | tr "\\n" " "']);
    cfg.linux.namespaces = cfg.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
    const r = run(cfg);
    expect(r.status).toBe(0);
    // The host's interfaces are visible: the host's /sys, read-only.
    expect(r.stdout).toContain('lo');
  });

  // Debian 12's runc 1.1.5 predates domainname and time namespaces (runc 1.2): these two run against tsrun only.
  it.skipIf(!IS_TSRUN)('sets the domainname', () => {
    const cfg = baseConfig(['cat', '/proc/sys/kernel/domainname']);
    cfg.domainname = 'example.org';
    expect(run(cfg).stdout).toBe('example.org\n');
  });

  it.skipIf(!IS_TSRUN)('gives a new time namespace its boottime and monotonic offsets', () => {
    const cfg = baseConfig(['cat', '/proc/uptime']);
    cfg.linux.namespaces.push({ type: 'time' });
    cfg.linux.timeOffsets = { boottime: { secs: 10 * 86400, nanosecs: 0 }, monotonic: { secs: 0 } };
    const hostUptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const r = run(cfg);
    expect(r.stderr).toBe('');
    const inside = Number(r.stdout.split(' ')[0]);
    expect(inside - hostUptime).toBeGreaterThan(10 * 86400 - 60);
    expect(inside - hostUptime).toBeLessThan(10 * 86400 + 60);
  });

  it('brings the container into a new network namespace with only loopback', () => {
    const r = run(baseConfig(['sh', '-c', 'ls /sys/class/net | tr "\\n" " "']));
    expect(r.stdout.trim()).toBe('lo');
  });

  it('honours --no-pivot', () => {
    const id = h.id('nopivot');
    const bundle = h.bundle(baseConfig(['sh', '-c', 'ls /bin/busybox && head -1 /proc/self/mountinfo']));
    const r = h.rt(['run', '--no-pivot', '--bundle', bundle, id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [ls, first] = r.stdout.split('\n');
    expect(ls).toBe('/bin/busybox');
    // The rootfs, moved over "/" (no pivot_root): its source dir is the bundle's rootfs, mounted at "/".
    expect(first!.split(' ').slice(3, 5)).toEqual([join(bundle, 'rootfs'), '/']);
  });
});

describe('the waiting init', () => {
  it('cannot be read or traced from the container whose pid namespace it joins (it is not dumpable)', () => {
    // Container A, root without CAP_SYS_PTRACE, reads /proc/<pid>/environ of B's init once told its pid:
    // allowed for a dumpable process of the same uid, refused for a non-dumpable one.
    const shared = join(h.work, 'shared-dump');
    mkdirSync(shared);
    const a = h.id('peer');
    const cfgA = baseConfig([
      'sh',
      '-c',
      'while [ ! -f /shared/target ]; do sleep 0.02; done; cat /proc/$(cat /shared/target)/environ > /shared/out 2> /shared/err; echo done > /shared/done; sleep 1000',
    ]);
    cfgA.mounts.push({ destination: '/shared', type: 'bind', source: shared, options: ['rbind', 'rw'] });
    expect(h.rt(['run', '-d', '--bundle', h.bundle(cfgA), a]).status).toBe(0);
    const pidA = h.state(a).pid;

    const b = h.id('joiner');
    const cfgB = baseConfig(['true']);
    cfgB.process.env.push('SECRET=from-the-host-side');
    cfgB.linux.namespaces = cfgB.linux.namespaces.map((n: { type: string }) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${pidA}/ns/pid` } : n));
    expect(h.rt(['create', '--bundle', h.bundle(cfgB), b]).status).toBe(0);
    const pidB = h.state(b).pid;
    const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pidB}/status`, 'utf8'))![1]!.trim().split(/\s+/);
    // Renamed into place: the container's loop must not see the file before its content (it read "" once).
    writeFileSync(join(shared, 'target.tmp'), nspid[nspid.length - 1]!);
    renameSync(join(shared, 'target.tmp'), join(shared, 'target'));
    expect(waitFor(() => existsSync(join(shared, 'done')))).toBe(true);
    expect(readFileSync(join(shared, 'out'), 'utf8')).toBe('');
    expect(readFileSync(join(shared, 'err'), 'utf8')).toMatch(/Permission denied|Operation not permitted/);
    expect(h.rt(['delete', '--force', b]).status).toBe(0);
    expect(h.rt(['delete', '--force', a]).status).toBe(0);
  });
});
