// A private containerd with its CRI plugin, as a kubelet reaches a runtime: RuntimeClass handlers of type
// io.containerd.runc.v2 whose BinaryName is a runtime under test. Used by the CRI tests (test/cri) and the pod
// start benchmark (scripts/bench-cri.mjs).
//
// Everything is private to one work directory: containerd's root, state and sockets, the runtimes' state roots
// (the shim's Root option), the sandboxes' network namespaces (netns_mounts_under_state_dir), the CNI
// configuration and host-local's leases, the pod logs. The streaming server (exec) listens on 127.0.0.1 only.
// What cannot live in a directory is named after the instance and removed by stop(): the CNI bridge, the pods'
// cgroups (under one parent cgroup of its own in every hierarchy), libcni's result cache files in
// /var/lib/cni/results (libcni's fixed place). The bridge is no gateway and masquerades nothing, so the bridge
// plugin never turns IP forwarding on; no firewall rule is added.
//
// Host facts it caters for: without CAP_SYS_RESOURCE a sandbox's oom_score_adj of -998 cannot be set, so
// restrict_oom_score_adj = true (containerd then clamps the score to its own); containerd's default loopback
// network (WithLoNetwork) gives every pod its "lo".
import { createHash } from 'node:crypto';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { unmountUnder } from './mounts.mjs';

/** The handler (RuntimeClass) name the runtime under test is registered under. */
export const HANDLER = 'undertest';
export const PAUSE_IMAGE = 'docker.io/tsrun-test/pause:1';
export const BUSYBOX_IMAGE = 'docker.io/tsrun-test/busybox:1';

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export function missingCri() {
  const need = ['containerd', 'ctr', 'containerd-shim-runc-v2', 'gcc', 'ip'];
  const missing = need.filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
  for (const p of ['bridge', 'host-local', 'loopback']) if (!existsSync(`/usr/lib/cni/${p}`)) missing.push(`/usr/lib/cni/${p} (containernetworking-plugins)`);
  return missing;
}

/** A free TCP port on 127.0.0.1 (the streaming server needs a fixed one: its exec URLs carry the port). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/**
 * A one-layer image in `docker save` form (manifest.json, config, layer tar) from a root filesystem directory,
 * for `ctr images import`: no registry, no download.
 */
export function dockerArchive(rootfs, tag, config, out, tmp) {
  const dir = join(tmp, `archive-${sha256(tag).slice(0, 12)}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const layerTmp = join(dir, 'layer.tar');
  execFileSync('tar', ['--numeric-owner', '-C', rootfs, '-cf', layerTmp, '.']);
  const layer = readFileSync(layerTmp);
  const diffId = sha256(layer);
  mkdirSync(join(dir, diffId));
  writeFileSync(join(dir, diffId, 'layer.tar'), layer);
  rmSync(layerTmp);
  const cfg = Buffer.from(
    JSON.stringify({
      architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...config },
      rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: 'tsrun test/cri' }],
    }),
  );
  const cfgId = sha256(cfg);
  writeFileSync(join(dir, `${cfgId}.json`), cfg);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: `${cfgId}.json`, RepoTags: [tag], Layers: [`${diffId}/layer.tar`] }]));
  execFileSync('tar', ['-C', dir, '-cf', out, 'manifest.json', `${cfgId}.json`, diffId]);
  rmSync(dir, { recursive: true, force: true });
}

/** The pause program (test/cri/pause.c), compiled static. */
export function buildPause(repo, out) {
  execFileSync('gcc', ['-static', '-O2', '-Wall', '-o', out, join(repo, 'test/cri/pause.c')]);
}

export class PrivateCri {
  /**
   * @param {string} work  directory for everything (created; removed by stop())
   * @param {Record<string, string>} handlers  runtime handler name → absolute path of the OCI runtime
   * @param {{ subnet?: string }} [o]
   */
  constructor(work, handlers, o = {}) {
    this.work = work;
    this.handlers = handlers;
    const tag = sha256(work).slice(0, 8);
    this.tag = tag;
    this.bridge = `tsrcri${tag.slice(0, 6)}`;
    this.network = `tsrun-cri-${tag}`;
    this.subnet = o.subnet ?? '10.231.0.0/16';
    /** Every pod's cgroup parent lies under this one (cgroupfs driver, one directory per hierarchy). */
    this.cgroupParent = `/tsrun-cri-${tag}`;
    this.sock = join(work, 'containerd', 'containerd.sock');
    this.logs = join(work, 'pods');
    this.proc = null;
  }

  runtimeRoot(handler) {
    return join(this.work, 'runtime-root', handler);
  }

  async start() {
    const dir = join(this.work, 'containerd');
    const cni = join(this.work, 'cni');
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(cni, 'net.d'), { recursive: true });
    mkdirSync(this.logs, { recursive: true });
    this.streamPort = await freePort();
    writeFileSync(
      join(cni, 'net.d', '10-tsrun-cri.conflist'),
      JSON.stringify(
        {
          cniVersion: '0.4.0',
          name: this.network,
          plugins: [
            {
              type: 'bridge',
              bridge: this.bridge,
              // Not a gateway and no masquerade: the plugin then leaves net.ipv4.ip_forward alone.
              isGateway: false,
              isDefaultGateway: false,
              ipMasq: false,
              hairpinMode: false,
              ipam: { type: 'host-local', dataDir: join(cni, 'ipam'), ranges: [[{ subnet: this.subnet }]] },
            },
          ],
        },
        null,
        2,
      ),
    );
    const cri = 'plugins."io.containerd.grpc.v1.cri"';
    const lines = [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      '[grpc]',
      `  address = "${this.sock}"`,
      '[ttrpc]',
      `  address = "${this.sock}.ttrpc"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${dir}/opt"`,
      `[${cri}]`,
      `  sandbox_image = "${PAUSE_IMAGE}"`,
      '  restrict_oom_score_adj = true',
      '  systemd_cgroup = false',
      '  disable_apparmor = true',
      '  enable_selinux = false',
      '  netns_mounts_under_state_dir = true',
      '  stream_server_address = "127.0.0.1"',
      `  stream_server_port = "${this.streamPort}"`,
      '  enable_tls_streaming = false',
      '  max_container_log_line_size = 16384',
      `[${cri}.containerd]`,
      '  snapshotter = "overlayfs"',
      `  default_runtime_name = "${Object.keys(this.handlers)[0]}"`,
    ];
    for (const [name, path] of Object.entries(this.handlers)) {
      mkdirSync(this.runtimeRoot(name), { recursive: true });
      lines.push(
        `[${cri}.containerd.runtimes.${name}]`,
        '  runtime_type = "io.containerd.runc.v2"',
        `[${cri}.containerd.runtimes.${name}.options]`,
        `  BinaryName = "${path}"`,
        `  Root = "${this.runtimeRoot(name)}"`,
        '  SystemdCgroup = false',
      );
    }
    lines.push(`[${cri}.cni]`, '  bin_dir = "/usr/lib/cni"', `  conf_dir = "${cni}/net.d"`, '  max_conf_num = 1', '');
    writeFileSync(join(dir, 'config.toml'), lines.join('\n'));
    const log = join(dir, 'containerd.log');
    this.proc = spawn('sh', ['-c', `exec containerd --config "$0" >>"$1" 2>&1`, join(dir, 'config.toml'), log], { stdio: 'ignore', detached: true });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = spawnSync('ctr', ['--address', this.sock, 'plugins', 'ls'], { encoding: 'utf8' });
      if (r.status === 0 && /io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok/.test(r.stdout)) break;
      if (r.status === 0 && /io\.containerd\.grpc\.v1\s+cri\s+\S+\s+error/.test(r.stdout)) throw new Error(`containerd's CRI plugin failed to load; see ${log}:\n${readFileSync(log, 'utf8').slice(-3000)}`);
      if (Date.now() > deadline || this.proc.exitCode !== null) throw new Error(`containerd with CRI did not come up; ${log}:\n${safeRead(log).slice(-3000)}`);
      sleep(100);
    }
  }

  ctr(...args) {
    return spawnSync('ctr', ['--address', this.sock, '-n', 'k8s.io', ...args], { encoding: 'utf8' });
  }

  /** Imports a `docker save` archive into the CRI's namespace (unpacked for overlayfs). */
  importImage(archive) {
    const r = this.ctr('images', 'import', archive);
    if (r.status !== 0) throw new Error(`ctr images import ${archive}: ${r.stderr}`);
  }

  /**
   * The pause image (test/cri/pause.c) and a busybox image (scripts/make-rootfs; CMD sh) with `extra` files
   * copied into its /bin.
   */
  importTestImages(repo, extraBins = []) {
    const tmp = join(this.work, 'images');
    mkdirSync(join(tmp, 'pause-rootfs'), { recursive: true });
    buildPause(repo, join(tmp, 'pause-rootfs', 'pause'));
    dockerArchive(join(tmp, 'pause-rootfs'), PAUSE_IMAGE, { Entrypoint: ['/pause'] }, join(tmp, 'pause.tar'), tmp);
    execFileSync(join(repo, 'scripts/make-rootfs'), [join(tmp, 'busybox-rootfs')], { stdio: 'ignore' });
    for (const b of extraBins) execFileSync('cp', [b, join(tmp, 'busybox-rootfs', 'bin')]);
    dockerArchive(join(tmp, 'busybox-rootfs'), BUSYBOX_IMAGE, { Cmd: ['sh'] }, join(tmp, 'busybox.tar'), tmp);
    this.importImage(join(tmp, 'pause.tar'));
    this.importImage(join(tmp, 'busybox.tar'));
    rmSync(tmp, { recursive: true, force: true });
  }

  /**
   * Stops containerd and removes everything of this instance: tasks (through ctr, while containerd answers),
   * shims, mounts, network namespaces, the bridge and whatever veth is left on it, cgroups, CNI cache files and
   * the work directory. The tests remove their pods through the CRI first; this is the safety net.
   */
  stop() {
    if (this.proc && this.proc.exitCode === null) {
      const tasks = this.ctr('tasks', 'ls', '-q').stdout?.split('\n').filter(Boolean) ?? [];
      // Workloads before sandboxes: a sandbox's task is its pause process.
      for (const t of tasks) this.ctr('tasks', 'kill', '-s', 'KILL', t);
      for (const t of tasks) this.ctr('tasks', 'delete', '--force', t);
      for (const c of this.ctr('containers', 'ls', '-q').stdout?.split('\n').filter(Boolean) ?? []) this.ctr('containers', 'rm', c);
      try {
        process.kill(-this.proc.pid, 'SIGTERM');
      } catch {
        // gone
      }
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && this.proc.exitCode === null && existsSync(`/proc/${this.proc.pid}`) && !/\) Z /.test(safeRead(`/proc/${this.proc.pid}/stat`))) sleep(50);
      try {
        process.kill(-this.proc.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    // The shims of this instance (they outlive containerd by design), found by the address they were given.
    for (const pid of processesWith(`-address ${this.sock} `)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
    unmountUnder(this.work);
    if (existsSync(`/sys/class/net/${this.bridge}`)) {
      for (const port of safeList(`/sys/class/net/${this.bridge}/brif`)) spawnSync('ip', ['link', 'del', port]);
      spawnSync('ip', ['link', 'del', this.bridge]);
    }
    removeCgroupTree(this.cgroupParent);
    for (const f of safeList('/var/lib/cni/results')) if (f.startsWith(`${this.network}-`)) rmSync(join('/var/lib/cni/results', f), { force: true });
    rmSync(this.work, { recursive: true, force: true });
  }
}

/** Pids whose command line contains `needle` (NUL-separated arguments joined by spaces). */
export function processesWith(needle) {
  const out = [];
  for (const pid of safeList('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = safeRead(`/proc/${pid}/cmdline`).split('\0').join(' ');
    if (cmd.includes(needle)) out.push(pid);
  }
  return out;
}

/** The directories of cgroup `path` in every hierarchy (v1 controllers, name=systemd, the unified one). */
export function cgroupDirs(path) {
  const out = [];
  for (const h of safeList('/sys/fs/cgroup')) {
    const d = join('/sys/fs/cgroup', h, path);
    if (existsSync(d)) out.push(d);
  }
  if (existsSync(join('/sys/fs/cgroup', 'cgroup.controllers')) && existsSync(join('/sys/fs/cgroup', path))) out.push(join('/sys/fs/cgroup', path));
  return out;
}

/** Removes cgroup `path` and its descendants (deepest first) in every hierarchy; a populated one stays. */
export function removeCgroupTree(path) {
  const rm = (d) => {
    for (const e of safeList(d)) {
      const p = join(d, e);
      try {
        if (statSync(p).isDirectory()) rm(p);
      } catch {
        // gone
      }
    }
    try {
      rmdirSync(d);
    } catch {
      // busy or gone
    }
  };
  for (const d of cgroupDirs(path)) rm(d);
}

function safeRead(p) {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function safeList(p) {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
}
