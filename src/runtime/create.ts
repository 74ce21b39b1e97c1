/**
 * create (and the first half of run): bundle → validated spec → plan → launcher → an init blocked on its
 * exec fifo, recorded in the state directory. Any failure leaves nothing behind.
 */
import { chmodSync, chownSync, closeSync, openSync, constants as fsc } from 'node:fs';
import { join, resolve } from 'node:path';
import { CgroupInUseError, ConfigError, TsrunError, describeNodeError } from '../errors.js';
import { log } from '../log.js';
import { native } from '../native/addon.js';
import { HookPhase, StateFile } from '../native/contract.js';
import { containerConfig, ownsTerminal, type ConfigInput } from '../plan/container-config.js';
import { lsmFacts } from '../plan/host.js';
import type { Plan } from '../plan/plan.js';
import { seccompArchProblems } from '../plan/seccomp.js';
import { semanticProblems } from '../plan/validate.js';
import { loadSpec } from '../spec/load.js';
import type { Spec } from '../spec/schema.js';
import { O_CLOEXEC, writeFileAtomic } from '../util/fs.js';
import { readProcStat } from '../util/proc.js';
import { warmCgroupMigration } from './cgroup-warm.js';
import { destroyCgroup, joinCgroup, managerOf, prepareCgroup, type CgroupRecord } from './cgroup.js';
import { readConfigHost } from './config-host.js';
import { runHooks } from './hooks.js';
import { abandonLauncher, finishDetached, launch, spawnLauncher, type Launched, type Spawned } from './launcher.js';
import { defaultLogRoot, makeContainerLogDir, removeLogDir } from './log-dir.js';
import { hostNotifySocket, notifySetup } from './notify-socket.js';
import { PidfdSocket } from './pidfd-socket.js';
import { checkPreservedFds } from './preserved-fds.js';
import { resolveRootfs } from './rootfs.js';
import { planShim, shimWanted, type ShimPolicy } from './shim-plan.js';
import { StateDir, stateJson, type ContainerState } from './state.js';

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
  /** --rootless: a cgroup that cannot be made is left out unless limits need it. */
  rootlessCgroups?: boolean;
  /** Who supervises a detached container: tsrun's shim when the caller will not (auto), always, or never. */
  shim?: ShimPolicy;
  /** Under a shim: the container's stdin is a pipe kept open for `attach` (otherwise /dev/null). */
  stdin?: boolean;
  /** Under a shim: container.log is rotated past this size in bytes (0: never). */
  logMaxSize?: number;
  /** Under a shim: where container logs are kept (<logRoot>/<id>/container.log); see log-dir.ts. */
  logRoot?: string;
  /** --pidfd-socket: an AF_UNIX stream socket that receives a pidfd of the init (pidfd-socket.ts). */
  pidfdSocket?: string;
}



export interface Created {
  dir: StateDir;
  state: ContainerState;
  launched: Launched;
  plan: Plan;
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
  // In the foreground the container's terminal is relayed to ours: without one (a script, a pipe, cron) the
  // process would wait on a terminal nobody can type into. runc fails the same way, before anything is made.
  if (terminal && !detached) assertControllingTerminal();
}

function assertControllingTerminal(): void {
  try {
    closeSync(openSync('/dev/tty', fsc.O_RDWR | fsc.O_NOCTTY | O_CLOEXEC));
  } catch (err) {
    throw new TsrunError(`${describeNodeError(err)} (the process has "terminal": true; run from a terminal, or set it to false)`);
  }
}

/** Everything about the bundle that can be wrong, found before anything is made. */
export function prepare(opts: CreateOptions): { spec: Spec; bundle: string; rootfs: string } {
  const bundle = resolve(opts.bundle);
  const spec = loadSpec(bundle);
  const problems = semanticProblems(spec, lsmFacts());
  if (spec.linux?.seccomp?.architectures?.length) {
    const addon = native();
    problems.push(...seccompArchProblems(spec.linux.seccomp, (name) => addon.seccompArchKnown(name), addon.seccompVersion()));
  }
  if (problems.length) throw new ConfigError('config.json', problems);
  checkConsoleFlags(spec, opts.consoleSocket, !opts.foreground, opts.shim);
  return { spec, bundle, rootfs: resolveRootfs(bundle, spec.root!.path) };
}

export function createContainer(opts: CreateOptions): Created {
  const { spec, bundle, rootfs } = prepare(opts);
  warmCgroupMigration(false); // again, nearer the init's move (see cgroup-warm.ts)
  const dir = new StateDir(opts.root, opts.id);
  // Made absolute against our cwd, as runc does before anything else.
  const pidFile = opts.pidFile ? resolve(opts.pidFile) : undefined;
  const consoleSocket = opts.consoleSocket ? resolve(opts.consoleSocket) : undefined;
  // Connected before anything is made, as runc does: an unreachable socket fails here.
  const pidfdSocket = opts.pidfdSocket ? PidfdSocket.connect(native(), resolve(opts.pidfdSocket)) : undefined;
  try {
    dir.create();
  } catch (err) {
    pidfdSocket?.close();
    throw err;
  }
  let spawned: Spawned | undefined;
  let launched: Launched | undefined;
  let cgroup: CgroupRecord | undefined;
  let logDir: string | undefined;
  try {
    const addon = native();
    dir.lock(addon.flock);
    const listen = listenFds();
    checkPreservedFds(opts.preserveFds + listen, opts.preserveFds);
    // Started now, it execs and seals itself on another CPU while config.json is converted; it waits for its plan.
    spawned = spawnLauncher(listen + opts.preserveFds);
    // Who supervises, and where its logs go, are host facts: decided here, handed to the conversion.
    let shim: ConfigInput['shim'];
    const ownTerminal = ownsTerminal(spec, consoleSocket);
    if (!opts.foreground && shimWanted(opts.shim ?? 'never', ownTerminal)) {
      logDir = makeContainerLogDir(opts.logRoot ?? defaultLogRoot(), opts.id);
      shim = planShim({ policy: opts.shim!, ownTerminal, stdin: opts.stdin === true, logMax: opts.logMaxSize, dir: dir.dir, logDir });
    }
    const config = containerConfig(
      spec,
      {
        id: opts.id,
        bundle,
        rootfs,
        fifo: dir.fifo,
        foreground: opts.foreground === true,
        noPivot: opts.noPivot,
        noNewKeyring: opts.noNewKeyring,
        consoleSocket,
        preserveFds: listen + opts.preserveFds,
        extraEnv: listen ? [`LISTEN_FDS=${listen}`, 'LISTEN_PID=1'] : [],
        notify: hostNotifySocket() ? notifySetup(dir.dir) : undefined,
        shim,
        systemdCgroup: opts.systemdCgroup === true,
        rootlessCgroups: opts.rootlessCgroups === true,
      },
      readConfigHost(opts.root),
    );
    const { launch: plan, kept } = config;
    cgroup = kept.cgroup;
    const cg = cgroup;
    // What the init needs only once it has reported its pid.
    const setUp = () => {
      for (const w of cg ? prepareCgroup(cg) : []) log.warn(w);
      for (const w of plan.warnings) log.warn(w);
      // exec loads the same filter without compiling it again.
      if (config.seccompProgram) writeFileAtomic(join(dir.dir, StateFile.SECCOMP), config.seccompProgram, 0o600);
    };
    // Cloned straight into its cgroup (v2), the init needs it first; otherwise the cgroup is made while the
    // launcher starts.
    const clonedIn = plan.cgroupDir !== undefined;
    if (clonedIn) setUp();
    // The launcher opens it before the clone. Only the container's process may open it (it does so as its own
    // user, after setresuid): 0600, owned by the host ids of that user. Anyone else could release or stall
    // `start` under a --root that is not 0700.
    addon.mkfifo(dir.fifo, 0o600);
    giveFifo(dir.fifo, config.fifoOwner);
    log.debug(`plan: ${plan.ops.length} steps, new namespaces 0x${plan.nsNew.toString(16)}, joined [${plan.joins.map((j) => `${j.name}:${j.path}`).join(' ')}]`);
    const stateFor = (pid: number): ContainerState => ({
      version: 2,
      id: opts.id,
      ociVersion: config.identity.ociVersion,
      pid,
      pidStartTime: '',
      bundle,
      rootfs,
      created: new Date().toISOString(),
      annotations: config.identity.annotations,
      config: kept,
    });
    const { prestart, createRuntime } = config.runtimeHooks;
    let state: ContainerState | undefined;
    warmCgroupMigration(false); // and once more, ~2 ms before the init's move
    const handed = spawned;
    spawned = undefined; // launch() reaps it, whatever happens
    launched = launch(
      plan,
      {
        whileStarting: clonedIn ? undefined : setUp,
        // The init exists and waits: it joins its cgroup before it can run anything of the user's.
        onPid(pid) {
          for (const w of cg ? joinCgroup(cg, pid, opts.id, clonedIn) : []) log.warn(w);
          pidfdSocket?.send(pid, 'standard');
        },
        // Mounts are in place, pivot_root not done yet: the runtime's hooks see the container's pid.
        onSync(phase, pid) {
          if (phase !== HookPhase.CREATE_RUNTIME) return;
          const json = stateJson(stateFor(pid), 'created');
          runHooks('prestart', prestart, json, bundle);
          runHooks('createRuntime', createRuntime, json, bundle);
        },
        // Recorded while the init sets up its mounts (the directory is locked, and removed if the create fails).
        // An init that has failed already is left to its own message, which follows.
        whileSettingUp(pid, shimPid) {
          state = recordState(dir, stateFor(pid), shimPid, logDir, false);
        },
      },
      handed,
    );
    log.debug(`container ${opts.id}: init ${launched.pid} ready (launcher ${launched.launcherPid})`);
    state ??= recordState(dir, stateFor(launched.pid), launched.shimPid, logDir, true);
    // The caller adopted the init (auto mode): no shim, no log.
    if (!launched.shimPid) removeLogDir(logDir);
    if (!opts.foreground) finishDetached(launched);
    if (pidFile) writeFileAtomic(pidFile, String(launched.pid), 0o644);
    dir.unlock();
    return { dir, state, launched, plan };
  } catch (caught) {
    let err = caught;
    // The init killed during setup (or the launcher finding its socket closed) is almost always the memory limit.
    if (cgroup && launched === undefined) err = explainOomKill(cgroup) ?? err;
    // Spawned, never handed its plan.
    if (spawned) abandonLauncher(spawned);
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
    // A cgroup refused as in use is another container's: never emptied nor removed here.
    if (cgroup && !(caught instanceof CgroupInUseError)) {
      try {
        destroyCgroup(cgroup);
      } catch (e) {
        log.warn(`removing the cgroup after a failed create: ${(e as Error).message}`);
      }
    }
    removeLogDir(logDir);
    dir.remove();
    throw err;
  } finally {
    pidfdSocket?.close();
  }
}

/**
 * state.json for an init (and its shim) that exist: their start times tell them from later processes. One that is
 * gone fails the create if `required`, and otherwise records nothing (undefined).
 */
function recordState(dir: StateDir, base: ContainerState, shimPid: number, logDir: string | undefined, required: true): ContainerState;
function recordState(dir: StateDir, base: ContainerState, shimPid: number, logDir: string | undefined, required: false): ContainerState | undefined;
function recordState(dir: StateDir, base: ContainerState, shimPid: number, logDir: string | undefined, required: boolean): ContainerState | undefined {
  const gone = (what: string) => {
    if (required) throw new TsrunError(`${what} exited during create`);
    return undefined;
  };
  const stat = readProcStat(base.pid);
  if (!stat) return gone('container init');
  const state: ContainerState = { ...base, pidStartTime: stat.startTime };
  if (shimPid) {
    const shimStat = readProcStat(shimPid);
    if (!shimStat) return gone('the container shim');
    state.shim = { pid: shimPid, startTime: shimStat.startTime };
    state.logDir = logDir;
  }
  dir.write(state);
  return state;
}

/**
 * exec.fifo for the container's user alone. An ordinary user cannot give a file to a subordinate id: the fifo is
 * then 0622 as runc makes it (only the container's process reaches it: the state directory is 0700).
 */
function giveFifo(fifo: string, owner: { uid: number; gid: number }): void {
  try {
    chownSync(fifo, owner.uid, owner.gid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM' || process.geteuid?.() === 0) throw err;
    chmodSync(fifo, 0o622);
    return;
  }
  chmodSync(fifo, 0o600);
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
