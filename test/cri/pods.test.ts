/**
 * Pod sandboxes and the containers in them, as a kubelet creates them through the CRI: the sandbox's hostname,
 * DNS and sysctls, namespaces shared in a pod, and each container's security context.
 */
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pod, capSet, client, cri, pidOf, removeLeftPods } from './helpers.js';

afterAll(removeLeftPods);

const SLEEP = ['sleep', '1000'];
// containerd's default capability set for CRI containers: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
// SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
const DEFAULT_CAPS = 0xa80425fbn;
const CAP_CHOWN = 0n;
const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

async function sh(id: string, script: string): Promise<string> {
  const r = await client.execSync(id, ['sh', '-c', script], 30);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  return r.stdout;
}

describe('pod sandbox', () => {
  it('gives its hostname, DNS configuration, sysctls and an address on the pod network', async () => {
    const pod = await Pod.run(
      'sandbox',
      { hostname: 'pod-host-1', dnsConfig: { servers: ['10.0.0.10', '10.0.0.11'], searches: ['ns.svc.example.test', 'example.test'], options: ['ndots:5'] } },
      { sysctls: { 'kernel.shm_rmid_forced': '1', 'net.ipv4.ip_local_port_range': '40000 50000' } },
    );
    const c = await pod.start('main', SLEEP);
    expect(await sh(c, 'hostname')).toBe('pod-host-1\n');
    expect(await sh(c, 'cat /etc/hostname')).toBe('pod-host-1\n');
    const resolv = await sh(c, 'cat /etc/resolv.conf');
    expect(resolv).toMatch(/^search ns\.svc\.example\.test example\.test$/m);
    expect(resolv).toMatch(/^nameserver 10\.0\.0\.10$/m);
    expect(resolv).toMatch(/^nameserver 10\.0\.0\.11$/m);
    expect(resolv).toMatch(/^options ndots:5$/m);
    expect(await sh(c, 'cat /proc/sys/kernel/shm_rmid_forced')).toBe('1\n');
    expect((await sh(c, 'cat /proc/sys/net/ipv4/ip_local_port_range')).split(/\s+/).filter(Boolean)).toEqual(['40000', '50000']);
    const { status } = await client.podSandboxStatus(pod.id);
    expect(status.state).toBe('SANDBOX_READY');
    const ip: string = status.network.ip;
    expect(ip).toMatch(/^10\.231\.\d+\.\d+$/);
    const addrs = await sh(c, 'ip -4 -o addr show');
    expect(addrs).toContain(`inet ${ip}/16`);
    expect(addrs).toMatch(/^\d+: lo\s+inet 127\.0\.0\.1\/8/m);
    const listed = await client.listPodSandbox({ labelSelector: { pod: pod.config.metadata.uid } });
    expect(listed.map((s) => [s.id, s.state, s.runtimeHandler])).toEqual([[pod.id, 'SANDBOX_READY', 'undertest']]);
    await pod.remove();
  });

  it('shares the network, IPC and UTS namespaces between its containers and the sandbox, not the PID namespace', async () => {
    const pod = await Pod.run('shared');
    const a = await pod.start('a', SLEEP);
    const b = await pod.start('b', SLEEP);
    const ns = async (id: string) => (await sh(id, 'for n in net ipc uts pid; do readlink /proc/self/ns/$n; done')).trim().split('\n');
    const [na, nb] = [await ns(a), await ns(b)];
    const pause = await pidOf(pod.id, true);
    const host = ['net', 'ipc', 'uts', 'pid'].map((n) => readlinkSync(`/proc/${pause}/ns/${n}`));
    expect(na.slice(0, 3)).toEqual(host.slice(0, 3));
    expect(nb.slice(0, 3)).toEqual(host.slice(0, 3));
    expect(na[3]).not.toBe(nb[3]);
    expect(na[0]).not.toBe(readlinkSync('/proc/self/ns/net'));
    // One's loopback listener is the other's: the same network stack.
    await client.execSync(a, ['sh', '-c', 'nc -l -p 8080 -e echo from-a >/dev/null 2>&1 &']);
    const got = await client.execSync(b, ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do nc 127.0.0.1 8080 </dev/null && exit 0; sleep 0.2; done; exit 1'], 30);
    expect(got.stdout).toContain('from-a');
    const listed = await client.listContainers({ podSandboxId: pod.id });
    expect(listed.map((c) => c.id).sort()).toEqual([a, b].sort());
    expect(listed.every((c) => c.state === 'CONTAINER_RUNNING')).toBe(true);
    await pod.remove();
  });
});

describe('container security context and configuration', () => {
  it('sets env, working directory, read-write and read-only mounts, and keeps a read-only root read-only', async () => {
    const host = join(cri.work, `mounts-${process.pid}`);
    mkdirSync(join(host, 'rw'), { recursive: true });
    mkdirSync(join(host, 'ro'), { recursive: true });
    writeFileSync(join(host, 'ro', 'file'), 'from the host\n');
    const pod = await Pod.run('mounts');
    const c = await pod.start(
      'main',
      SLEEP,
      {
        envs: [
          { key: 'GREETING', value: 'hello world' },
          { key: 'EMPTY', value: '' },
        ],
        workingDir: '/data/rw',
        mounts: [
          { containerPath: '/data/rw', hostPath: join(host, 'rw') },
          { containerPath: '/data/ro', hostPath: join(host, 'ro'), readonly: true },
        ],
      },
      { securityContext: { readonlyRootfs: true } },
    );
    expect(await sh(c, 'echo "$GREETING|${EMPTY-unset}|$PWD"')).toBe('hello world||/data/rw\n');
    expect(await sh(c, 'cat /data/ro/file; echo written > /data/rw/out')).toBe('from the host\n');
    expect(readFileSync(join(host, 'rw', 'out'), 'utf8')).toBe('written\n');
    const ro = await client.execSync(c, ['sh', '-c', 'touch /data/ro/x; touch /newfile'], 30);
    expect(ro.exitCode).not.toBe(0);
    expect(ro.stderr).toMatch(/\/data\/ro\/x: Read-only file system/);
    expect(ro.stderr).toMatch(/\/newfile: Read-only file system/);
    await pod.remove();
  });

  it('runs as runAsUser and runAsGroup, with supplemental groups', async () => {
    const pod = await Pod.run('user');
    const c = await pod.start('main', SLEEP, {}, { securityContext: { runAsUser: { value: 1234 }, runAsGroup: { value: 5678 }, supplementalGroups: [4000] } });
    expect(await sh(c, 'id -u; id -g; id -G')).toMatch(/^1234\n5678\n5678( \d+)* 4000/);
    const status = await sh(c, 'cat /proc/self/status');
    expect(status).toMatch(/^Uid:\s+1234\s+1234\s+1234\s+1234$/m);
    expect(capSet(status, 'CapEff')).toBe(0n);
    const ps = await sh(c, 'cat /proc/1/status');
    expect(ps).toMatch(/^Gid:\s+5678\s+5678\s+5678\s+5678$/m);
    await pod.remove();
  });

  it('gives the default capabilities, and adds and drops the ones asked (CapEff), privileged false', async () => {
    const pod = await Pod.run('caps');
    const plain = await pod.start('plain', SLEEP);
    const changed = await pod.start('changed', SLEEP, {}, { securityContext: { capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['CHOWN'] }, privileged: false } });
    const s1 = await sh(plain, 'cat /proc/self/status');
    expect(capSet(s1, 'CapEff')).toBe(DEFAULT_CAPS);
    expect(capSet(s1, 'CapBnd')).toBe(DEFAULT_CAPS);
    const s2 = await sh(changed, 'cat /proc/self/status');
    const want = (DEFAULT_CAPS | (1n << CAP_NET_ADMIN)) & ~(1n << CAP_CHOWN);
    expect(capSet(s2, 'CapEff')).toBe(want);
    expect(capSet(s2, 'CapBnd') & (1n << CAP_SYS_ADMIN)).toBe(0n);
    // Added NET_ADMIN works (a link of the pod's own namespace), dropped CHOWN is refused.
    expect((await client.execSync(changed, ['ip', 'link', 'set', 'lo', 'mtu', '60000'])).exitCode).toBe(0);
    expect((await client.execSync(plain, ['ip', 'link', 'set', 'lo', 'mtu', '65536'])).exitCode).not.toBe(0);
    const chown = await client.execSync(changed, ['sh', '-c', 'touch /tmp/f && chown 1000 /tmp/f']);
    expect(chown.exitCode).not.toBe(0);
    expect(chown.stderr).toMatch(/Operation not permitted/);
    // Not privileged: /sys read-only, /proc/timer_list masked (the host's has content), /sys/firmware empty, no
    // access to the host's devices.
    const mounts = await sh(plain, 'cat /proc/mounts');
    expect(mounts).toMatch(/^sysfs \/sys sysfs ro[ ,]/m);
    expect(await sh(plain, 'wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l')).toBe('0\n0\n');
    expect(mounts).toMatch(/ \/proc\/sys proc ro[ ,]/);
    expect(await sh(plain, 'ls /dev | grep -c "^sda\\|^vda\\|^mem$" || true')).toBe('0\n');
    await pod.remove();
  });

  it('applies the RuntimeDefault seccomp profile (a syscall it denies fails) and none when Unconfined', async () => {
    const pod = await Pod.run('seccomp');
    const confined = await pod.start('confined', SLEEP, {}, { securityContext: { seccomp: { profileType: 'RuntimeDefault' } } });
    const unconfined = await pod.start('unconfined', SLEEP, {}, { securityContext: { seccomp: { profileType: 'Unconfined' } } });
    expect(await sh(confined, 'grep ^Seccomp: /proc/self/status')).toMatch(/^Seccomp:\s+2$/m);
    expect(await sh(unconfined, 'grep ^Seccomp: /proc/self/status')).toMatch(/^Seccomp:\s+0$/m);
    // unshare(CLONE_NEWUSER) needs no capability, but the default profile allows unshare only with CAP_SYS_ADMIN.
    const denied = await client.execSync(confined, ['unshare', '-U', 'true']);
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toMatch(/Operation not permitted/);
    const allowed = await client.execSync(unconfined, ['unshare', '-U', 'true']);
    expect(allowed).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    await pod.remove();
  });
});

