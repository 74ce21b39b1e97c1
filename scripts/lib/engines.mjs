// Private instances of the engines that drive an OCI runtime: containerd (+ ctr), dockerd (on that containerd)
// and podman (+ conmon, no daemon). Everything lives under one work directory: sockets, data, exec roots,
// storage, client configuration; nothing of the host's engines or their configuration files (/etc/docker,
// /etc/containers, ~/.docker) is read or touched, and no firewall rule is added (dockerd: --iptables=false
// --bridge=none; containers get no network: docker --network=none, podman netns "none"). Used by the engine tests
// and by the benchmarks.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { unmountUnder } from './mounts.mjs';

// The Debian package's docker CLI (a different one may come first in PATH).
export const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
/** The runtime name the engines know the runtime under test by. */
export const RUNTIME_NAME = 'undertest';

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Waits (bounded) for an engine to answer; engines give no readiness signal of their own. */
function waitUntil(what, ok, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ok()) return;
    sleep(100);
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000}s`);
}

export function missingEngines() {
  const need = ['containerd', 'ctr', 'containerd-shim-runc-v2', 'dockerd', 'podman', 'conmon'];
  return need.filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
}

export class Engines {
  /**
   * @param {string} work  directory for everything the engines keep
   * @param {string} runtime  absolute path of the OCI runtime under test
   * @param {Record<string, string>} [others]  more runtimes by name (benchmarks compare them)
   */
  constructor(work, runtime, others = {}) {
    this.work = work;
    this.runtime = runtime;
    this.others = others;
    this.procs = [];
    this.containerdSock = join(work, 'containerd/containerd.sock');
    this.dockerSock = join(work, 'docker/docker.sock');
    this.podmanConf = join(work, 'podman/containers.conf');
  }

  start() {
    mkdirSync(this.work, { recursive: true });
    this.startContainerd();
    this.startDockerd();
    this.configurePodman();
  }

  startContainerd() {
    const dir = join(this.work, 'containerd');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'config.toml'),
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${this.containerdSock}"`,
        '[ttrpc]',
        `  address = "${this.containerdSock}.ttrpc"`,
        '',
      ].join('\n'),
    );
    this.spawnDaemon('containerd', ['--config', join(dir, 'config.toml')], join(dir, 'containerd.log'));
    waitUntil('containerd', () => spawnSync('ctr', ['--address', this.containerdSock, 'version'], { stdio: 'ignore' }).status === 0);
  }

  startDockerd() {
    const dir = join(this.work, 'docker');
    mkdirSync(join(dir, 'client'), { recursive: true });
    // Not the host's /etc/docker/daemon.json: a setting there (or one that conflicts with a flag) would change
    // the daemon, or stop it from starting.
    writeFileSync(join(dir, 'daemon.json'), '{}\n');
    writeFileSync(join(dir, 'client', 'config.json'), '{}\n');
    this.spawnDaemon(
      'dockerd',
      [
        '--config-file', join(dir, 'daemon.json'),
        '--data-root', join(dir, 'data'),
        '--exec-root', join(dir, 'exec'),
        '--pidfile', join(dir, 'docker.pid'),
        '-H', `unix://${this.dockerSock}`,
        '--containerd', this.containerdSock,
        '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false', '--bridge=none',
        '--exec-opt', 'native.cgroupdriver=cgroupfs',
        '--add-runtime', `${RUNTIME_NAME}=${this.runtime}`,
        ...Object.entries(this.others).flatMap(([n, p]) => ['--add-runtime', `${n}=${p}`]),
        '--default-runtime', RUNTIME_NAME,
      ],
      join(dir, 'dockerd.log'),
    );
    waitUntil('dockerd', () => spawnSync(DOCKER_CLI, ['-H', `unix://${this.dockerSock}`, 'version'], { stdio: 'ignore' }).status === 0);
  }

  configurePodman() {
    const dir = join(this.work, 'podman');
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    mkdirSync(join(dir, 'hooks.d'), { recursive: true });
    // Storage as the command line gives it (podman() passes --root, --runroot and the driver), not the host's
    // /etc/containers/storage.conf.
    writeFileSync(join(dir, 'storage.conf'), `[storage]\ndriver = "overlay"\ngraphroot = "${dir}/storage"\nrunroot = "${dir}/run"\n`);
    // Podman raises RLIMIT_NOFILE/NPROC to the kernel's maximum by default; without CAP_SYS_RESOURCE (as on a
    // host that lacks it) no runtime may, so the defaults stay within the caller's hard limits.
    writeFileSync(
      this.podmanConf,
      [
        '[containers]',
        'netns = "none"',
        'default_ulimits = ["nofile=1024:4096", "nproc=4096:8192"]',
        // Debian's podman has no catatonit: --init runs tini, which takes the same `-- cmd` form.
        ...(existsSync('/usr/bin/tini-static') ? ['init_path = "/usr/bin/tini-static"'] : []),
        '[engine]',
        // Not the host's OCI hooks (/usr/share/containers/oci/hooks.d): they would run in every container.
        `hooks_dir = ["${dir}/hooks.d"]`,
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        `events_logfile_path = "${dir}/events.log"`,
        `runtime = "${RUNTIME_NAME}"`,
        `runtime_supports_json = [${[RUNTIME_NAME, ...Object.keys(this.others)].map((n) => `"${n}"`).join(', ')}]`,
        '[engine.runtimes]',
        `${RUNTIME_NAME} = ["${this.runtime}"]`,
        ...Object.entries(this.others).map(([n, p]) => `${n} = ["${p}"]`),
        '',
      ].join('\n'),
    );
  }

  spawnDaemon(cmd, args, logFile) {
    const out = join(logFile);
    const p = spawn('sh', ['-c', `exec "$0" "$@" >>"${out}" 2>&1`, cmd, ...args], { stdio: 'ignore', detached: true });
    this.procs.push(p);
    return p;
  }

  /** argv for ctr, docker and podman against these private instances. */
  ctr(...args) {
    return ['ctr', ['--address', this.containerdSock, ...args]];
  }

  /**
   * `run` and `create` get `--network=none` unless a network is named: with `--bridge=none` that is what a
   * container gets anyway, said explicitly, and dockerd then does not warn on stderr that IPv4 forwarding is off
   * (a warning that depends on the host's net.ipv4.ip_forward, not on the runtime).
   */
  docker(...args) {
    const [cmd, ...rest] = args;
    const names = rest.some((a) => /^--net(work)?(=|$)/.test(a));
    const net = (cmd === 'run' || cmd === 'create') && !names ? ['--network=none'] : [];
    return [DOCKER_CLI, ['--config', join(this.work, 'docker', 'client'), '-H', `unix://${this.dockerSock}`, ...(cmd === undefined ? [] : [cmd]), ...net, ...rest]];
  }

  podman(...args) {
    const dir = join(this.work, 'podman');
    return [
      'podman',
      ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp'), '--storage-driver', 'overlay', ...args],
    ];
  }

  /** Environment for podman commands (its configuration file). */
  podmanEnv() {
    return { ...process.env, CONTAINERS_CONF: this.podmanConf, CONTAINERS_STORAGE_CONF: join(this.work, 'podman', 'storage.conf') };
  }

  /**
   * One busybox image, `name`, in all three engines: imported from a rootfs directory into docker, saved from
   * there into containerd, imported into podman.
   */
  importImage(rootfs, name) {
    const tar = join(this.work, 'rootfs.tar');
    execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
    const [d, dargs] = this.docker('import', '--change', 'CMD ["sh"]', tar, name);
    execFileSync(d, dargs, { stdio: 'ignore' });
    const saved = join(this.work, 'image.tar');
    const [d2, d2args] = this.docker('save', '-o', saved, name);
    execFileSync(d2, d2args);
    const [c, cargs] = this.ctr('images', 'import', saved);
    execFileSync(c, cargs, { stdio: 'ignore' });
    const [p, pargs] = this.podman('import', '--change', 'CMD ["sh"]', tar, name);
    execFileSync(p, pargs, { stdio: 'ignore', env: this.podmanEnv() });
    rmSync(tar);
    rmSync(saved);
  }

  /** Stops the daemons and removes everything (no mount of theirs is left under the work directory). */
  stop() {
    try {
      const [p, pargs] = this.podman('rm', '--all', '--force');
      spawnSync(p, pargs, { stdio: 'ignore', env: this.podmanEnv() });
    } catch {
      // nothing to remove
    }
    // containerd's tasks outlive it (their shims hold them): kill and delete every task while it still answers.
    try {
      const [c, nsArgs] = this.ctr('namespaces', 'ls', '-q');
      const namespaces = spawnSync(c, nsArgs, { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      for (const ns of namespaces) {
        const [, taskArgs] = this.ctr('-n', ns, 'tasks', 'ls', '-q');
        for (const t of spawnSync(c, taskArgs, { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) {
          spawnSync(c, this.ctr('-n', ns, 'tasks', 'delete', '--force', t)[1], { stdio: 'ignore' });
        }
        const [, ctrArgs] = this.ctr('-n', ns, 'containers', 'ls', '-q');
        for (const id of spawnSync(c, ctrArgs, { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) {
          spawnSync(c, this.ctr('-n', ns, 'containers', 'rm', id)[1], { stdio: 'ignore' });
        }
      }
    } catch {
      // containerd is not running
    }
    for (const proc of this.procs.reverse()) {
      try {
        process.kill(-proc.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    for (const proc of this.procs) {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && existsSync(`/proc/${proc.pid}`) && !/\) Z /.test(safeRead(`/proc/${proc.pid}/stat`))) sleep(50);
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    // Shims outlive containerd by design: end those of this instance.
    spawnSync('pkill', ['-KILL', '-f', `containerd-shim-runc-v2 .*-address ${this.containerdSock}`]);
    unmountUnder(this.work);
    rmSync(this.work, { recursive: true, force: true });
  }
}

function safeRead(p) {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/** The state root the runtime uses when an engine passes none (podman): its own default. */
export function defaultRootOf(runtime) {
  const name = basename(runtime);
  if (name.startsWith('tsrun')) return '/run/tsrun';
  if (name === 'crun') return '/run/crun';
  return '/run/runc';
}
