/** Pods and containers through the CRI of the private containerd started by global-setup.ts. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
// @ts-expect-error: plain JS module shared with the benchmark
import { BUSYBOX_IMAGE, HANDLER, PrivateCri, cgroupDirs } from '../../scripts/lib/cri.mjs';
import { CriClient, type Msg } from './client.js';

export { BUSYBOX_IMAGE, HANDLER, cgroupDirs };
export const RUNTIME: string = inject('criRuntime');
export const IS_TSRUN = /tsrun/.test(RUNTIME);
export const cri = new PrivateCri(inject('criWork'), { [HANDLER]: RUNTIME }) as {
  work: string;
  sock: string;
  logs: string;
  bridge: string;
  subnet: string;
  cgroupParent: string;
  runtimeRoot(h: string): string;
};
export const client = new CriClient(cri.sock);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let n = 0;
const unique = (p: string) => `${p}-${process.pid}-${++n}`;

/** A kubelet-like pod sandbox config: its own log directory and cgroup parent under the instance's. */
export function podConfig(name: string, extra: Msg = {}, linux: Msg = {}): Msg {
  const uid = unique(name);
  return {
    metadata: { name: uid, uid, namespace: 'tsrun-cri', attempt: 0 },
    hostname: name,
    logDirectory: join(cri.logs, uid),
    labels: { suite: 'tsrun-cri', pod: uid },
    ...extra,
    linux: {
      cgroupParent: `${cri.cgroupParent}/${uid}`,
      ...linux,
      securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }, ...(linux.securityContext ?? {}) },
    },
  };
}

/** The kubelet's DefaultProcMount paths (pkg/securitycontext). */
export const KUBELET_MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];
export const KUBELET_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function containerConfig(name: string, command: string[], extra: Msg = {}, linux: Msg = {}): Msg {
  return {
    metadata: { name, attempt: 0 },
    image: { image: BUSYBOX_IMAGE },
    command,
    logPath: `${name}.log`,
    labels: { container: name },
    ...extra,
    // A kubelet gives every container the pod's namespace modes (a missing one reads as POD for all three) and,
    // unprivileged, its default masked and read-only paths (the CRI plugin has none of its own).
    linux: {
      ...linux,
      securityContext: {
        namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' },
        ...(linux.securityContext?.privileged ? {} : { maskedPaths: KUBELET_MASKED_PATHS, readonlyPaths: KUBELET_READONLY_PATHS }),
        ...(linux.securityContext ?? {}),
      },
    },
  };
}

const livePods = new Set<Pod>();

export class Pod {
  id = '';
  containers: string[] = [];
  constructor(public config: Msg) {}

  static async run(name: string, extra: Msg = {}, linux: Msg = {}): Promise<Pod> {
    const p = new Pod(podConfig(name, extra, linux));
    p.id = await client.runPodSandbox(p.config, HANDLER);
    livePods.add(p);
    return p;
  }

  async create(config: Msg): Promise<string> {
    const id = await client.createContainer(this.id, config, this.config);
    this.containers.push(id);
    return id;
  }

  /** CreateContainer and StartContainer. */
  async start(name: string, command: string[], extra: Msg = {}, linux: Msg = {}): Promise<string> {
    const id = await this.create(containerConfig(name, command, extra, linux));
    await client.startContainer(id);
    return id;
  }

  logPath(name: string): string {
    return join(this.config.logDirectory, `${name}.log`);
  }

  /** As a kubelet removes a pod: stop and remove each container, then stop and remove the sandbox. */
  async remove(): Promise<void> {
    for (const c of this.containers) {
      await client.stopContainer(c, 0).catch(() => {});
      await client.removeContainer(c).catch(() => {});
    }
    await client.stopPodSandbox(this.id);
    await client.removePodSandbox(this.id);
    livePods.delete(this);
  }
}

/** Removes the pods a test left (after a failure). */
export async function removeLeftPods(): Promise<void> {
  for (const p of [...livePods]) await p.remove().catch(() => {});
}

export async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await read();
  while (!ok(v) && Date.now() < deadline) {
    await sleep(100);
    v = await read();
  }
  return v;
}

/** ContainerStatus once the container has exited (bounded). */
export async function exited(id: string, timeoutMs = 30_000): Promise<Msg> {
  const { status } = await waitFor(
    () => client.containerStatus(id),
    (s) => s.status.state === 'CONTAINER_EXITED',
    timeoutMs,
  );
  if (status.state !== 'CONTAINER_EXITED') throw new Error(`container ${id} still ${status.state} after ${timeoutMs} ms`);
  return status;
}

/** The host pid of a container's (or sandbox's) init, from the verbose status. */
export async function pidOf(id: string, sandbox = false): Promise<number> {
  const { info } = sandbox ? await client.podSandboxStatus(id, true) : await client.containerStatus(id, true);
  return Number(info.pid);
}

/** A cgroup v1 controller's file for a process, read on the host: /sys/fs/cgroup/<controller>/<its path>/<file>. */
export function cgroupFile(pid: number, controller: string, file: string): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes(controller));
  if (!line) throw new Error(`pid ${pid} has no ${controller} cgroup`);
  const path = line.split(':').slice(2).join(':');
  const p = join('/sys/fs/cgroup', controller, path, file);
  return readFileSync(p, 'utf8').trim();
}

export const CGROUP_V1 = existsSync('/sys/fs/cgroup/memory');

/** The lines of a CRI log file: `<RFC 3339 time> <stream> <F|P> <text>`. */
export function logLines(path: string): { time: string; stream: string; tag: string; text: string; raw: string }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((raw) => {
      const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/.exec(raw);
      if (!m) return { time: '', stream: '', tag: '', text: '', raw };
      return { time: m[1]!, stream: m[2]!, tag: m[3]!, text: m[4]!, raw };
    });
}

/** CapEff (or another set) of /proc/self/status output, as a bigint. */
export function capSet(status: string, set = 'CapEff'): bigint {
  const m = new RegExp(`^${set}:\\s*([0-9a-f]+)$`, 'm').exec(status);
  if (!m) throw new Error(`no ${set} in ${status}`);
  return BigInt(`0x${m[1]}`);
}
