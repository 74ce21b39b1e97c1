/**
 * A container's life through the CRI: exit codes and reasons in ContainerStatus, ExecSync and streaming Exec
 * (with and without a terminal), the CRI log file, StopContainer's grace period, a removal that leaves nothing
 * behind, and 20 pods started at once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HANDLER, Pod, RUNTIME, cgroupDirs, client, cri, exited, logLines, pidOf, removeLeftPods, waitFor } from './helpers.js';

afterAll(removeLeftPods);

const SLEEP = ['sleep', '1000'];

describe('container lifecycle', () => {
  it('runs the pod with the runtime under test: its own `state` knows the sandbox and the container', async () => {
    const pod = await Pod.run('which');
    const c = await pod.start('main', SLEEP);
    const root = join(cri.runtimeRoot(HANDLER), 'k8s.io');
    for (const id of [pod.id, c]) {
      const r = spawnSync(RUNTIME, ['--root', root, 'state', id], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const state = JSON.parse(r.stdout);
      expect([state.id, state.status, state.pid]).toEqual([id, 'running', await pidOf(id, id === pod.id)]);
    }
    const { info } = await client.containerStatus(c, true);
    expect(info.runtimeOptions?.binary_name ?? info.runtimeOptions?.BinaryName).toBe(RUNTIME);
    await pod.remove();
  });

  it('reports exit codes, reasons and times in ContainerStatus', async () => {
    const pod = await Pod.run('exit');
    const ok = await pod.start('ok', ['true']);
    const bad = await pod.start('bad', ['sh', '-c', 'sleep 0.3; exit 42']);
    const missing = await pod.create({ metadata: { name: 'missing' }, image: { image: 'docker.io/tsrun-test/busybox:1' }, command: ['/no/such/binary'], logPath: 'missing.log' });
    const s1 = await exited(ok);
    expect([s1.exitCode, s1.reason]).toEqual([0, 'Completed']);
    const s2 = await exited(bad);
    expect([s2.exitCode, s2.reason]).toEqual([42, 'Error']);
    expect(s2.startedAt).toBeGreaterThan(0);
    // Nanoseconds since the epoch (read as doubles). startedAt is containerd's clock once the runtime's `start`
    // has returned, finishedAt the shim's at the reap: a container that exits at once can show finishedAt a
    // millisecond before startedAt with any runtime (seen with runc and tsrun alike), so this one lives 0.3 s.
    expect(s2.finishedAt - s2.startedAt).toBeGreaterThan(0.2e9);
    expect(s2.finishedAt - s2.startedAt).toBeLessThan(10e9);
    // A command that cannot be run fails StartContainer, as with any runtime.
    await expect(client.startContainer(missing)).rejects.toThrow(/no such file or directory/i);
    const s3 = (await client.containerStatus(missing)).status;
    expect(s3.state).toBe('CONTAINER_EXITED');
    expect(s3.exitCode).not.toBe(0);
    await pod.remove();
  });

  it('runs ExecSync: output, exit code, environment of the container, timeout', async () => {
    const pod = await Pod.run('execsync');
    const c = await pod.start('main', SLEEP, { envs: [{ key: 'FROM_CONFIG', value: 'yes' }] });
    const r = await client.execSync(c, ['sh', '-c', 'echo "out $FROM_CONFIG"; echo err >&2; exit 4']);
    expect(r).toEqual({ stdout: 'out yes\n', stderr: 'err\n', exitCode: 4 });
    expect((await client.execSync(c, ['cat', '/proc/1/cmdline'])).stdout).toBe('sleep\x001000\x00');
    await expect(client.execSync(c, ['sleep', '30'], 1)).rejects.toThrow(/timeout/i);
    await pod.remove();
  });

  it('streams Exec without a terminal: stdout and stderr apart, the exit code', async () => {
    const pod = await Pod.run('exec');
    const c = await pod.start('main', SLEEP);
    const r = await client.exec(c, ['sh', '-c', 'echo to-out; echo to-err >&2; [ -t 1 ] && echo tty; exit 3']);
    expect(r.stdout).toBe('to-out\n');
    expect(r.stderr).toBe('to-err\n');
    expect(r.exitCode).toBe(3);
    const ok = await client.exec(c, ['sh', '-c', 'seq 1 20000']);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.split('\n').length).toBe(20001);
    await pod.remove();
  });

  it('streams Exec with a terminal: input, echo, output and the exit code', async () => {
    const pod = await Pod.run('exectty');
    const c = await pod.start('main', SLEEP);
    const r = await client.exec(c, ['sh'], { tty: true, input: 'tty; echo "sum=$((40+2))"; exit 7\n' });
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+\r?\n/);
    expect(r.stdout).toContain('sum=42');
    expect(r.exitCode).toBe(7);
    await pod.remove();
  });

  it('writes the CRI log file: "<RFC 3339 time> <stream> F <line>" for each line, in order', async () => {
    const pod = await Pod.run('logs');
    // Pauses between the streams: containerd copies stdout and stderr from two pipes, so lines written at once
    // to both may be logged in either order, whatever the runtime.
    const c = await pod.start('main', ['sh', '-c', 'echo first; sleep 0.2; echo to-stderr >&2; sleep 0.2; echo "second  with  spaces"; exit 0']);
    await exited(c);
    const path = pod.logPath('main');
    const { status } = await client.containerStatus(c);
    expect(status.logPath).toBe(path);
    const lines = await waitFor(
      async () => logLines(path),
      (l) => l.length >= 3,
    );
    expect(lines.map((l) => [l.stream, l.tag, l.text])).toEqual([
      ['stdout', 'F', 'first'],
      ['stderr', 'F', 'to-stderr'],
      ['stdout', 'F', 'second  with  spaces'],
    ]);
    for (const l of lines) {
      expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
      expect(Math.abs(Date.parse(l.time) - Date.now())).toBeLessThan(60_000);
    }
    expect(Date.parse(lines[2]!.time) - Date.parse(lines[0]!.time)).toBeGreaterThanOrEqual(300);
    await pod.remove();
  });

  it('stops a container that handles SIGTERM at once, and kills one that ignores it after the grace period', async () => {
    const pod = await Pod.run('stop');
    const trapping = await pod.start('trapping', ['sh', '-c', 'trap "echo got-term; exit 0" TERM; echo ready; while :; do sleep 0.1; done']);
    const ignoring = await pod.start('ignoring', SLEEP); // PID 1 without a handler: SIGTERM does nothing
    await waitFor(async () => logLines(pod.logPath('trapping')), (l) => l.some((x) => x.text === 'ready'));
    let t0 = Date.now();
    await client.stopContainer(trapping, 10);
    const graceful = Date.now() - t0;
    const s1 = (await client.containerStatus(trapping)).status;
    expect([s1.state, s1.exitCode, s1.reason]).toEqual(['CONTAINER_EXITED', 0, 'Completed']);
    expect(graceful).toBeLessThan(5000);
    expect(logLines(pod.logPath('trapping')).map((l) => l.text)).toContain('got-term');
    t0 = Date.now();
    await client.stopContainer(ignoring, 2);
    const forced = Date.now() - t0;
    const s2 = (await client.containerStatus(ignoring)).status;
    expect([s2.state, s2.exitCode]).toEqual(['CONTAINER_EXITED', 137]);
    expect(forced).toBeGreaterThanOrEqual(1900);
    expect(forced).toBeLessThan(10_000);
    await pod.remove();
  });

  it('removes a pod without a trace: processes, cgroups, mounts, network namespace, veth, lease, runtime state', async () => {
    const pod = await Pod.run('cleanup');
    const a = await pod.start('a', SLEEP);
    const b = await pod.start('b', ['sh', '-c', 'sleep 1000 & sleep 1000']);
    const ids = [pod.id, a, b];
    const pids = [await pidOf(pod.id, true), await pidOf(a), await pidOf(b)];
    const children = (await client.execSync(b, ['sh', '-c', 'ls /proc | grep -c "^[0-9]"'])).stdout;
    expect(Number(children)).toBeGreaterThanOrEqual(3);
    const { info, status } = await client.podSandboxStatus(pod.id, true);
    const netns: string = info.runtimeSpec.linux.namespaces.find((n: { type: string }) => n.type === 'network').path;
    const ip: string = status.network.ip;
    const stateDir = (id: string) => join(cri.runtimeRoot(HANDLER), 'k8s.io', id);
    const leases = join(cri.work, 'cni', 'ipam');
    const leaseFiles = () => readdirSync(leases, { recursive: true }).map(String);
    const mountsOf = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => ids.some((id) => l.includes(id)) || l.includes(netns));
    const ports = () => readdirSync(`/sys/class/net/${cri.bridge}/brif`);
    const cgroups = () => ids.flatMap((id) => cgroupDirs(`${pod.config.linux.cgroupParent}/${id}`));
    // Everything is there while the pod runs (so that the checks below can see it go).
    expect(pids.every((p) => existsSync(`/proc/${p}`))).toBe(true);
    expect(ids.every((id) => existsSync(stateDir(id)))).toBe(true);
    expect(existsSync(netns)).toBe(true);
    expect(mountsOf().length).toBeGreaterThan(3);
    expect(ports().length).toBeGreaterThanOrEqual(1);
    expect(leaseFiles().some((f) => f.endsWith(ip))).toBe(true);
    expect(cgroups().length).toBeGreaterThanOrEqual(3 * 5);
    const portsBefore = ports().length;
    await pod.remove();
    expect(pids.filter((p) => existsSync(`/proc/${p}`) && !/\) Z /.test(safeRead(`/proc/${p}/stat`)))).toEqual([]);
    expect(ids.filter((id) => existsSync(stateDir(id)))).toEqual([]);
    expect(existsSync(netns)).toBe(false);
    expect(mountsOf()).toEqual([]);
    expect(ports().length).toBe(portsBefore - 1);
    expect(leaseFiles().filter((f) => f.endsWith(ip))).toEqual([]);
    expect(cgroups()).toEqual([]);
    expect(await client.listPodSandbox({ id: pod.id })).toEqual([]);
    expect(await client.listContainers({ podSandboxId: pod.id })).toEqual([]);
    // No process of the host runs with the pod's cgroup parent.
    const inPod = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && safeRead(`/proc/${p}/cgroup`).includes(pod.config.linux.cgroupParent));
    expect(inPod).toEqual([]);
  });

  it('starts 20 pods in parallel, each with a running container and its own address', async () => {
    const pods = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const pod = await Pod.run(`par${i}`);
        const c = await pod.start('main', ['sh', '-c', `echo pod-${i}; exec sleep 1000`]);
        return { pod, c, i };
      }),
    );
    const seen = new Set<string>();
    for (const { pod, c, i } of pods) {
      const { status } = await client.containerStatus(c);
      expect(status.state).toBe('CONTAINER_RUNNING');
      const ip = (await client.podSandboxStatus(pod.id)).status.network.ip;
      expect(ip).toMatch(/^10\.231\./);
      seen.add(ip);
      expect((await client.execSync(c, ['hostname'])).stdout).toBe(`par${i}\n`);
    }
    expect(seen.size).toBe(20);
    await Promise.all(pods.map(({ pod }) => pod.remove()));
    expect(readdirSync(`/sys/class/net/${cri.bridge}/brif`).length).toBeLessThanOrEqual(1);
  });
});

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
