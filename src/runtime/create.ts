/**
 * create (and the first half of run): bundle → validated spec → plan → launcher → an init blocked on its
 * exec fifo, recorded in the state directory. Any failure leaves nothing behind.
 */
import { chmodSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, TsrunError } from '../errors.js';
import { log } from '../log.js';
import { native } from '../native/addon.js';
import { lsmFacts, readHostFacts } from '../plan/host.js';
import type { Plan } from '../plan/plan.js';
import { compileSpecSeccomp } from '../plan/seccomp.js';
import { specToPlan } from '../plan/specconv.js';
import { semanticProblems } from '../plan/validate.js';
import type { Spec } from '../spec/schema.js';
import { loadSpec } from '../spec/load.js';
import { writeFileAtomic } from '../util/fs.js';
import { readProcStat } from '../util/proc.js';
import { HookPhase } from '../native/contract.js';
import { planShim, shimWanted, type ShimPolicy } from './shim-plan.js';
import { runHooks } from './hooks.js';
import { finishDetached, launch, type Launched } from './launcher.js';
import { containerCgroupView, destroyCgroup, joinCgroup, managerOf, planCgroup, prepareCgroup, type CgroupRecord } from './cgroup.js';
import { hostNotifySocket, notifySetup } from './notify-socket.js';
import { passwdHome } from './passwd.js';
import { resolveRootfs } from './rootfs.js';
import { StateDir, hookStateOf, type ContainerState, type ExecDefaults } from './state.js';

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  /** run in the foreground: the launcher stays, relays a terminal and reports the exit status. */
  foreground?: boolean;
  /** cgroupsPath is "slice:prefix:name" and systemd makes the cgroup. */
  systemdCgroup?: boolean;
  /** Who supervises a detached container: tsrun's shim when the caller will not (auto), always, or never. */
  shim?: ShimPolicy;
  /** Under a shim: the container's stdin is a pipe kept open for `attach` (otherwise /dev/null). */
  stdin?: boolean;
  /** Under a shim: container.log is rotated past this size in bytes (0: never). */
  logMaxSize?: number;
}



export interface Created {
  dir: StateDir;
  state: ContainerState;
  launched: Launched;
  plan: Plan;
}

/** linux.seccomp → BPF, cached under <root>/@cache/seccomp ('@' is never in a container id). */
function compileSeccomp(seccomp: NonNullable<NonNullable<Spec['linux']>['seccomp']>, root: string) {
  const addon = native();
  const c = compileSpecSeccomp(seccomp, {
    cacheDir: join(root, '@cache', 'seccomp'),
    compile: addon.compileSeccomp,
    libseccompVersion: addon.seccompVersion(),
  });
  if (c.skipped.length) log.debug(`seccomp: syscalls unknown to libseccomp ${addon.seccompVersion()} skipped: ${c.skipped.join(' ')}`);
  return { program: c.program, flags: c.flags };
}

/** Socket activation (sd_listen_fds): LISTEN_FDS fds from 3 are passed on with LISTEN_PID=1. */
function listenFds(): number {
  const { LISTEN_PID = '', LISTEN_FDS = '' } = process.env;
  // Decimal only (Number() would take "1e3" or "0x10"), and no more fds than a process can have.
  if (!/^\d{1,7}$/.test(LISTEN_PID) || !/^\d{1,7}$/.test(LISTEN_FDS)) return 0;
  return Number(LISTEN_PID) === process.pid ? Number(LISTEN_FDS) : 0;
}

export function checkConsoleFlags(spec: Spec, consoleSocket: string | undefined, detached: boolean, shim: ShimPolicy = 'never'): void {
  const terminal = spec.process?.terminal === true;
  // With a shim possible, a detached terminal without a console socket is held by the shim.
  if (terminal && detached && !consoleSocket && shim === 'never')
    throw new TsrunError('cannot allocate tty if tsrun will detach without setting console socket');
  if (consoleSocket && (!terminal || !detached))
    throw new TsrunError('cannot use console socket if tsrun will not detach or allocate tty');
}

/** Everything about the bundle that can be wrong, found before anything is made. */
export function prepare(opts: CreateOptions): { spec: Spec; bundle: string; rootfs: string } {
  const bundle = resolve(opts.bundle);
  const spec = loadSpec(bundle);
  const problems = semanticProblems(spec, lsmFacts());
  if (problems.length) throw new ConfigError('config.json', problems);
  checkConsoleFlags(spec, opts.consoleSocket, !opts.foreground, opts.shim);
  return { spec, bundle, rootfs: resolveRootfs(bundle, spec.root!.path) };
}

export function createContainer(opts: CreateOptions): Created {
  const { spec, bundle, rootfs } = prepare(opts);
  const dir = new StateDir(opts.root, opts.id);
  // Made absolute against our cwd, as runc does before anything else.
  const pidFile = opts.pidFile ? resolve(opts.pidFile) : undefined;
  const consoleSocket = opts.consoleSocket ? resolve(opts.consoleSocket) : undefined;
  dir.create();
  let launched: Launched | undefined;
  let cgroup: CgroupRecord | undefined;
  try {
    const addon = native();
    dir.lock(addon.flock);
    for (let fd = 3; fd < 3 + opts.preserveFds + listenFds(); fd++) {
      try {
        statSync(`/proc/self/fd/${fd}`);
      } catch {
        throw new TsrunError(`unable to stat preserved-fd ${fd - 3} (of ${opts.preserveFds}): fd ${fd} is not open`);
      }
    }
    const host = readHostFacts();
    cgroup = planCgroup(spec, opts.id, opts.systemdCgroup === true);
    host.cgroup = containerCgroupView(host.cgroup, cgroup);
    for (const w of prepareCgroup(cgroup)) log.warn(w);
    const notifyHost = hostNotifySocket();
    if (notifyHost) {
      const n = notifySetup(dir.dir);
      spec.mounts = [...(spec.mounts ?? []), n.mount];
      spec.process!.env = [...(spec.process!.env ?? []), n.env];
    }
    const listen = listenFds();
    const seccomp = spec.linux?.seccomp ? compileSeccomp(spec.linux.seccomp, opts.root) : undefined;
    const plan = specToPlan(
      spec,
      {
        id: opts.id,
        bundle,
        stateDir: dir.dir,
        foreground: opts.foreground === true,
        noPivot: opts.noPivot,
        noNewKeyring: opts.noNewKeyring,
        consoleSocket,
        preserveFds: listen + opts.preserveFds,
        extraEnv: listen ? [`LISTEN_FDS=${listen}`, 'LISTEN_PID=1'] : [],
        home: passwdHome(rootfs, spec.process!.user?.uid ?? 0),
        seccomp,
      },
      host,
    );
    for (const w of plan.warnings) log.warn(w);
    const sp = spec.process!;
    const execDefaults: ExecDefaults = {
      capabilities: sp.capabilities,
      apparmorProfile: sp.apparmorProfile || undefined,
      selinuxLabel: sp.selinuxLabel || undefined,
      rlimits: sp.rlimits,
      noNewKeyring: opts.noNewKeyring,
    };
    if (seccomp) {
      // exec loads the same filter without compiling it again.
      writeFileAtomic(join(dir.dir, 'seccomp.bpf'), seccomp.program, 0o600);
      const sc = spec.linux!.seccomp!;
      execDefaults.seccomp = {
        file: 'seccomp.bpf',
        flags: seccomp.flags,
        listener: sc.listenerPath ? { path: sc.listenerPath, metadata: sc.listenerMetadata } : undefined,
      };
    }
    const ownTerminal = spec.process?.terminal === true && !consoleSocket;
    if (!opts.foreground && shimWanted(opts.shim ?? 'never', ownTerminal)) {
      plan.shim = planShim({
        policy: opts.shim!,
        ownTerminal,
        stdin: opts.stdin === true,
        logMax: opts.logMaxSize,
        dir: dir.dir,
        cgroup,
      });
    }
    // cgroupfs on v2: the init is cloned straight into its cgroup.
    if (cgroup.driver === 'cgroupfs' && cgroup.layout.mode === 'v2') plan.cgroupDir = cgroup.paths.v2;
    log.debug(`plan: ${plan.ops.length} steps, new namespaces 0x${plan.nsNew.toString(16)}, joined [${plan.joins.map((j) => `${j.name}:${j.path}`).join(' ')}]`);
    addon.mkfifo(dir.fifo, 0o622);
    chmodSync(dir.fifo, 0o622); // not reduced by our umask: the container's user must be able to open it
    const hooks = spec.hooks ?? {};
    const stateFor = (pid: number): ContainerState => ({
      version: 1,
      id: opts.id,
      ociVersion: spec.ociVersion,
      pid,
      pidStartTime: '',
      bundle,
      rootfs,
      created: new Date().toISOString(),
      annotations: spec.annotations,
      privatePidNs: (spec.linux?.namespaces ?? []).some((n) => n.type === 'pid' && n.path === undefined),
      hooks: hooks.poststart?.length || hooks.poststop?.length ? { poststart: hooks.poststart, poststop: hooks.poststop } : undefined,
      cgroup: cg,
      exec: execDefaults,
      terminal: spec.process?.terminal === true || undefined,
    });
    const cg = cgroup;
    launched = launch(plan, {
      // The init exists and waits: it joins its cgroup before it can run anything of the user's.
      onPid(pid) {
        for (const w of joinCgroup(cg, pid, opts.id)) log.warn(w);
      },
      // Mounts are in place, pivot_root not done yet: the runtime's hooks see the container's pid.
      onSync(phase, pid) {
        if (phase !== HookPhase.CREATE_RUNTIME) return;
        const json = hookStateOf(stateFor(pid), 'created');
        runHooks('prestart', hooks.prestart, json, bundle);
        runHooks('createRuntime', hooks.createRuntime, json, bundle);
      },
    });
    log.debug(`container ${opts.id}: init ${launched.pid} ready (launcher ${launched.launcherPid})`);
    const stat = readProcStat(launched.pid);
    if (!stat) throw new TsrunError('container init exited during create');
    const state: ContainerState = { ...stateFor(launched.pid), pidStartTime: stat.startTime };
    if (launched.shimPid) {
      const shimStat = readProcStat(launched.shimPid);
      if (!shimStat) throw new TsrunError('the container shim exited during create');
      state.shim = { pid: launched.shimPid, startTime: shimStat.startTime };
    }
    dir.write(state);
    if (!opts.foreground) finishDetached(launched);
    if (pidFile) writeFileAtomic(pidFile, String(launched.pid), 0o644);
    dir.unlock();
    return { dir, state, launched, plan };
  } catch (caught) {
    let err = caught;
    // The init killed during setup (or the launcher finding its socket closed) is almost always the memory limit.
    if (cgroup && launched === undefined) err = explainOomKill(cgroup) ?? err;
    if (launched) {
      try {
        process.kill(launched.pid, 'SIGKILL');
      } catch {
        // gone already
      }
      // The shim records the exit and leaves; only then is the state directory removed for good.
      if (launched.shimPid) {
        try {
          native().waitpid(launched.shimPid, 0);
        } catch {
          // reaped
        }
      }
    }
    if (cgroup) {
      try {
        destroyCgroup(cgroup);
      } catch (e) {
        log.warn(`removing the cgroup after a failed create: ${(e as Error).message}`);
      }
    }
    dir.remove();
    throw err;
  }
}

/** Says so when the cgroup counted an OOM kill while the container was being set up. */
function explainOomKill(cgroup: CgroupRecord): TsrunError | undefined {
  let kills = 0;
  try {
    kills = managerOf(cgroup).oomKills();
  } catch {
    return undefined;
  }
  if (kills === 0) return undefined;
  const limit = cgroup.resources?.memory?.limit;
  return new TsrunError(
    `container init was killed by the OOM killer during setup: linux.resources.memory.limit${limit === undefined ? '' : ` (${limit} bytes)`} is too low`,
  );
}
