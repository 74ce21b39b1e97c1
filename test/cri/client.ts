/**
 * A CRI client over runtime.v1 (test/cri/proto/api.proto, vendored from k8s.io/cri-api), making the calls a
 * kubelet makes, plus the streaming client for Exec: the CRI answers Exec with a URL on containerd's streaming
 * server, spoken to here over websocket with the `v4.channel.k8s.io` channel protocol (one byte of channel
 * number before each message: 0 stdin, 1 stdout, 2 stderr, 3 the final status as JSON, 4 terminal resize).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

const PROTO = join(import.meta.dirname, 'proto', 'api.proto');

export type Msg = Record<string, any>;

/**
 * The vendored file as proto-loader can read it: the gogoproto import and options (Go code generation only,
 * nothing on the wire) are left out, so gogo.proto need not be vendored too.
 */
function loadDefinition(proto: string): protoLoader.PackageDefinition {
  const text = readFileSync(proto, 'utf8')
    .split('\n')
    .filter((l) => !/^import "github.com\/gogo/.test(l) && !/^option \(gogoproto\./.test(l))
    .join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-cri-proto-'));
  try {
    writeFileSync(join(dir, 'api.proto'), text);
    return protoLoader.loadSync(join(dir, 'api.proto'), { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The status document of channel 3, as the streaming server sent it. */
  status: Msg | null;
}

export class CriClient {
  private runtime: grpc.Client & Record<string, Function>;
  private image: grpc.Client & Record<string, Function>;

  /** `proto`: the vendored api.proto (another path when this file is bundled elsewhere, as by the benchmark). */
  constructor(socket: string, proto = PROTO) {
    const pkg = grpc.loadPackageDefinition(loadDefinition(proto)) as any;
    const v1 = pkg.runtime.v1;
    const opts = { 'grpc.max_receive_message_length': 16 * 1024 * 1024 };
    this.runtime = new v1.RuntimeService(`unix://${socket}`, grpc.credentials.createInsecure(), opts);
    this.image = new v1.ImageService(`unix://${socket}`, grpc.credentials.createInsecure(), opts);
  }

  close(): void {
    this.runtime.close();
    this.image.close();
  }

  /** One unary call; `timeoutMs` is the gRPC deadline (a kubelet sets one on every call). */
  call(method: string, req: Msg = {}, timeoutMs = 120_000, service: 'runtime' | 'image' = 'runtime'): Promise<Msg> {
    const client = service === 'runtime' ? this.runtime : this.image;
    const fn = client[method.charAt(0).toLowerCase() + method.slice(1)];
    if (typeof fn !== 'function') throw new Error(`no CRI method ${method}`);
    return new Promise((resolve, reject) => {
      fn.call(client, req, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: Msg) => {
        if (err) reject(Object.assign(new Error(`${method}: ${err.details || err.message}`), { code: err.code }));
        else resolve(res);
      });
    });
  }

  version = () => this.call('Version', { version: 'v1' });
  status = () => this.call('Status', { verbose: false });

  async runPodSandbox(config: Msg, runtimeHandler: string): Promise<string> {
    return (await this.call('RunPodSandbox', { config, runtimeHandler })).podSandboxId;
  }

  stopPodSandbox = (podSandboxId: string) => this.call('StopPodSandbox', { podSandboxId });
  removePodSandbox = (podSandboxId: string) => this.call('RemovePodSandbox', { podSandboxId });

  async podSandboxStatus(podSandboxId: string, verbose = false): Promise<{ status: Msg; info: Msg }> {
    return withInfo(await this.call('PodSandboxStatus', { podSandboxId, verbose }));
  }

  async listPodSandbox(filter: Msg = {}): Promise<Msg[]> {
    return (await this.call('ListPodSandbox', { filter })).items;
  }

  async createContainer(podSandboxId: string, config: Msg, sandboxConfig: Msg): Promise<string> {
    return (await this.call('CreateContainer', { podSandboxId, config, sandboxConfig })).containerId;
  }

  startContainer = (containerId: string) => this.call('StartContainer', { containerId });
  /** StopContainer with the grace period (seconds) a kubelet gives: SIGTERM, then SIGKILL after `timeout`. */
  stopContainer = (containerId: string, timeout: number) => this.call('StopContainer', { containerId, timeout }, (timeout + 60) * 1000);
  removeContainer = (containerId: string) => this.call('RemoveContainer', { containerId });

  async containerStatus(containerId: string, verbose = false): Promise<{ status: Msg; info: Msg }> {
    return withInfo(await this.call('ContainerStatus', { containerId, verbose }));
  }

  async listContainers(filter: Msg = {}): Promise<Msg[]> {
    return (await this.call('ListContainers', { filter })).containers;
  }

  async containerStats(containerId: string): Promise<Msg> {
    return (await this.call('ContainerStats', { containerId })).stats;
  }

  updateContainerResources = (containerId: string, linux: Msg) => this.call('UpdateContainerResources', { containerId, linux });

  async execSync(containerId: string, cmd: string[], timeout = 0): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const r = await this.call('ExecSync', { containerId, cmd, timeout }, (timeout || 60) * 1000 + 30_000);
    return { stdout: Buffer.from(r.stdout).toString(), stderr: Buffer.from(r.stderr).toString(), exitCode: r.exitCode };
  }

  async imageStatus(image: string): Promise<Msg | null> {
    return (await this.call('ImageStatus', { image: { image } }, 30_000, 'image')).image;
  }

  /**
   * Exec through the streaming server: the CRI's URL, then the websocket session until the server closes it.
   * `input` is written to stdin (when given) once the session is open; with a terminal, stdout carries both
   * streams.
   */
  async exec(containerId: string, cmd: string[], o: { tty?: boolean; input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const tty = o.tty ?? false;
    const { url } = await this.call('Exec', { containerId, cmd, tty, stdin: o.input !== undefined, stdout: true, stderr: !tty });
    return streamExec(url, o.input, o.timeoutMs ?? 60_000);
  }
}

/** The exit code in a v4 status document: 0 for Success, the ExitCode cause of a NonZeroExitCode failure. */
export function exitCodeOf(status: Msg | null): number {
  if (!status) return -1;
  if (status.status === 'Success') return 0;
  const cause = (status.details?.causes ?? []).find((c: Msg) => c.reason === 'ExitCode');
  return cause ? Number(cause.message) : -1;
}

export function streamExec(url: string, input: string | undefined, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['v4.channel.k8s.io']);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let status: Msg | null = null;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`exec stream ${url}: no end within ${timeoutMs} ms; stdout so far: ${Buffer.concat(out).toString()}`));
    }, timeoutMs);
    ws.on('open', () => {
      if (ws.protocol !== 'v4.channel.k8s.io') {
        ws.terminate();
        reject(new Error(`exec stream: server chose protocol "${ws.protocol}"`));
        return;
      }
      if (input !== undefined) ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(input)]));
    });
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const body = data.subarray(1);
      switch (data[0]) {
        case 1:
          out.push(body);
          break;
        case 2:
          err.push(body);
          break;
        case 3:
          if (body.length) status = JSON.parse(body.toString());
          break;
      }
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exitCode: exitCodeOf(status), status });
    });
  });
}

/** A status reply with its verbose "info" JSON decoded ({} when not asked for). */
function withInfo(r: Msg): { status: Msg; info: Msg } {
  return { status: r.status, info: r.info?.info ? JSON.parse(r.info.info) : {} };
}
